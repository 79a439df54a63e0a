#pragma once

namespace qlab {
// The project version from CMake's project() call.
const char* version();
}  // namespace qlab
