#pragma once
// QLAB_FLATTEN marks a hot function whose callees the compiler should all inline into it (GCC and Clang's
// flatten). Left out under AddressSanitizer: its instrumentation of flattened code inside a unity file takes
// tens of minutes and gigabytes to compile, and a sanitized build is for finding bugs, not for speed.
#include "sanitizers.hpp"

#ifndef QLAB_FLATTEN
#ifdef QLAB_UNDER_ASAN
#define QLAB_FLATTEN
#else
#define QLAB_FLATTEN [[gnu::flatten]]
#endif
#endif
