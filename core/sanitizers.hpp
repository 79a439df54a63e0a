#pragma once
// Whether this build runs under AddressSanitizer (GCC defines __SANITIZE_ADDRESS__, Clang answers
// __has_feature): code that maps memory itself, caps the address space or flattens large functions
// behaves differently there. QLAB_UNDER_ASAN is for the preprocessor, kUnderAddressSanitizer for code.
#if defined(__SANITIZE_ADDRESS__)
#define QLAB_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QLAB_UNDER_ASAN 1
#endif
#endif

namespace qlab {

#ifdef QLAB_UNDER_ASAN
inline constexpr bool kUnderAddressSanitizer = true;
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif

}  // namespace qlab
