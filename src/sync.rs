//! Locking shared state.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, carrying on with the data if another thread panicked while
/// holding it. Every critical section in flaredns leaves its data whole (maps
/// change one entry at a time, counters are plain numbers), and one task's
/// panic must not stop the controller.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
