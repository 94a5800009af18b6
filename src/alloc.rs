//! The binary's allocator: mimalloc, tuned to keep the resident size close to
//! what is in use, or dhat's recording allocator with `--features dhat-heap`.

/// mimalloc: the reconcile loop allocates and frees many small strings; with
/// glibc's allocator a fifth of planning time went to consolidating free lists.
#[cfg(not(feature = "dhat-heap"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// With `--features dhat-heap`: every allocation is recorded, and the profile
/// is written to `dhat-heap-<pid>.json` when the process exits normally.
#[cfg(feature = "dhat-heap")]
#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// mimalloc (v3) options, by their place in `mi_option_t` (mimalloc.h).
#[cfg(not(feature = "dhat-heap"))]
mod allocator_options {
    pub const ARENA_EAGER_COMMIT: i32 = 4;
    pub const PURGE_DELAY: i32 = 15;
}

/// Keeps resident memory close to what is in use: mimalloc's defaults commit
/// whole arenas up front and return freed pages a second late, which doubled
/// the resident size of a controller whose heap is small but churns at every
/// pass (`cargo bench --bench scale`: 84 MB → 41 MB at 1,000 objects).
///
/// The options must be set before mimalloc makes its first arena, that is
/// before the Rust runtime allocates anything: on Linux this runs from
/// `.init_array` right after mimalloc's own initialiser (priority 101) and
/// before the runtime's (the standard library's come first only for
/// arguments, which do not allocate).
#[cfg(not(feature = "dhat-heap"))]
extern "C" fn tune_allocator() {
    use allocator_options::*;
    // SAFETY: plain option setters of a library that is initialised, called
    // while the process has one thread.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

#[cfg(all(target_os = "linux", not(feature = "dhat-heap")))]
#[used]
#[unsafe(link_section = ".init_array.00102")]
static TUNE_ALLOCATOR: extern "C" fn() = tune_allocator;

/// What `main` holds for the allocator while the process runs: with
/// `dhat-heap`, the profiler that writes its file when dropped.
pub struct Guard {
    #[cfg(feature = "dhat-heap")]
    _profiler: dhat::Profiler,
}

/// Sets the allocator up where `.init_array` could not, and starts the heap
/// profiler with `dhat-heap`.
pub fn start() -> Guard {
    // Elsewhere than Linux, as early as portable code can.
    #[cfg(all(not(target_os = "linux"), not(feature = "dhat-heap")))]
    tune_allocator();
    Guard {
        #[cfg(feature = "dhat-heap")]
        _profiler: dhat::Profiler::builder()
            .file_name(format!("dhat-heap-{}.json", std::process::id()))
            .build(),
    }
}
