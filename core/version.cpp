#include "version.hpp"

namespace qlab {
const char* version() { return QLAB_VERSION; }
}  // namespace qlab
