#include "core/huge_page_allocator.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace qlab {
namespace {

struct alignas(64) Line {
  std::uint64_t words[8];
};

bool on_huge_page_boundary(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % huge_pages::kHugePage == 0; }

// The VmFlags line of the mapping that holds `p` in /proc/self/smaps ("" when the kernel does not say).
std::string vm_flags_of(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t from = 0;
    std::uintptr_t to = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> from >> dash >> to && dash == '-') {
      inside = from <= address && address < to;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

TEST(HugePageAllocator, ALargeArrayStartsOnAHugePageAndAsksForHugePages) {
  std::vector<Line, HugePageAllocator<Line>> lines(3 * huge_pages::kHugePage / sizeof(Line) + 5);
  for (std::size_t i = 0; i < lines.size(); ++i) lines[i].words[i % 8] = i;  // every page can be written
  for (std::size_t i = 0; i < lines.size(); i += 997) EXPECT_EQ(lines[i].words[i % 8], i);
  if (kUnderAddressSanitizer) {  // everything goes through operator new there
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(lines.data()) % alignof(Line), 0u);
    return;
  }
  EXPECT_TRUE(on_huge_page_boundary(lines.data()));
  const std::string flags = vm_flags_of(lines.data());
  if (!flags.empty()) {  // MADV_HUGEPAGE was applied
    EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
  }
}

TEST(HugePageAllocator, GrowingKeepsTheValuesAcrossTheSizes) {
  // From operator new's small blocks through several mapped ones: every reallocation moves the values.
  std::vector<std::uint64_t, HugePageAllocator<std::uint64_t>> values;
  const std::size_t count = 3 * huge_pages::kHugePage / sizeof(std::uint64_t);
  for (std::uint64_t i = 0; i < count; ++i) values.push_back(i * 2654435761u);
  for (std::uint64_t i = 0; i < count; ++i) ASSERT_EQ(values[i], i * 2654435761u) << i;
  values.clear();
  values.shrink_to_fit();  // gives the last mapping back
  EXPECT_EQ(values.capacity(), 0u);
}

TEST(HugePageAllocator, SmallArraysComeFromOperatorNewWithTheirAlignment) {
  std::vector<Line, HugePageAllocator<Line>> lines(3);
  EXPECT_FALSE(huge_pages::mapped(lines.capacity() * sizeof(Line)));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(lines.data()) % alignof(Line), 0u);
  EXPECT_EQ(huge_pages::mapped(huge_pages::kHugePage), !kUnderAddressSanitizer);
}

}  // namespace
}  // namespace qlab
