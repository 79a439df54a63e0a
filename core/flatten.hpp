#pragma once
// QLAB_FLATTEN marks a hot function whose callees the compiler should all inline into it (GCC and Clang's
// flatten). Left out under AddressSanitizer: its instrumentation of flattened code inside a unity file takes
// tens of minutes and gigabytes to compile, and a sanitized build is for finding bugs, not for speed.
#if defined(__SANITIZE_ADDRESS__)
#define QLAB_FLATTEN
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QLAB_FLATTEN
#endif
#endif
#ifndef QLAB_FLATTEN
#define QLAB_FLATTEN [[gnu::flatten]]
#endif
