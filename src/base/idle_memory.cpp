// Giving back what a process that will sleep for long holds resident without need.
#include "base/idle_memory.hpp"

#include <elf.h>
#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <iterator>

namespace vcrun {

namespace {

struct Ranges {
  uintptr_t page;
  struct {
    uintptr_t begin, end;
  } range[64];
  size_t count = 0;
};

// Collects first, drops after: the program headers read here lie in the first segment of
// each object, which a drop in the middle of the walk would fault straight back in.
int collect_read_only_segments(dl_phdr_info* info, size_t, void* data) {
  auto& out = *static_cast<Ranges*>(data);
  for (int i = 0; i < info->dlpi_phnum && out.count < std::size(out.range); ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    // Only what is never written: for a private file mapping MADV_DONTNEED unmaps the
    // pages and a later access reads them from the file again, so a written page (data,
    // RELRO after relocation) would lose its contents.
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W) || ph.p_filesz == 0) continue;
    // Whole pages inside the segment only, so no page shared with a neighbour is touched.
    uintptr_t begin = (info->dlpi_addr + ph.p_vaddr + out.page - 1) & ~(out.page - 1);
    uintptr_t end = (info->dlpi_addr + ph.p_vaddr + ph.p_filesz) & ~(out.page - 1);
    if (end > begin) out.range[out.count++] = {begin, end};
  }
  return 0;
}

}  // namespace

void release_idle_memory() {
  ::malloc_trim(0);
  Ranges ranges;
  ranges.page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  ::dl_iterate_phdr(collect_read_only_segments, &ranges);
  // The same can happen to these pages at any time under memory pressure (they are clean
  // page cache), so nothing may rely on them staying mapped. Errors (a locked or special
  // mapping such as the vDSO) only mean nothing was dropped there.
  for (size_t i = 0; i < ranges.count; ++i)
    ::madvise(reinterpret_cast<void*>(ranges.range[i].begin),
              ranges.range[i].end - ranges.range[i].begin, MADV_DONTNEED);
}

}  // namespace vcrun
