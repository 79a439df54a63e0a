#pragma once
// What the values of a distribution measure: nanoseconds (written 1.5ms) or bytes (written 4KiB).
namespace qlab::workloads {

enum class Quantity { duration, size };

}  // namespace qlab::workloads
