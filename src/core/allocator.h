#pragma once
// Process-wide heap settings for entcam's allocation pattern.

namespace entcam {

// glibc's malloc serves blocks above its mmap threshold with fresh mmap()s and gives freed
// heap back to the kernel above its trim threshold. Both thresholds adapt as a process runs,
// and after the sanity checks free a model copy and its activations they settle where every
// Score-CAM or faithfulness batch (a few MiB of masked inputs) costs page faults again: on the
// quickstart Score-CAM took 74.5 s instead of 46.5 s and the process spent 80 s in the kernel.
// Fixed thresholds (32 MiB mmap, 1 GiB trim) keep such blocks in the heap for reuse; blocks
// above 32 MiB are still mapped and unmapped. A no-op outside glibc, and where the user set
// MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ (glibc's own variables win).
void tune_allocator();

}  // namespace entcam
