//! `Team`: the threads a dense block is split over — the calling thread and K − 1 helpers
//! that stay awake between splits, so that a step hands its work over in about a
//! microsecond instead of waking sleeping threads.
//!
//! Why not a rayon pool: a run hands work over two or three times per step (the step, the
//! scan of the conditions, a NaN check when the status flags one), thousands of times a
//! second. Between two hand-overs rayon's idle workers go to sleep, and waking them costs
//! tens of microseconds on a VM; measured on HH expeuler at 100,000 neurons, 2 threads
//! lost about 0.6 ns per neuron-step (60 µs a step) against two independent one-thread
//! runs of half the neurons. A helper here waits for [`SPIN`] after each split (the gap
//! between two hand-overs of a run is far shorter), yielding its core rather than spinning
//! in place (with a spin in place, the same 2-thread run took 0.79–1.57 s from run to run,
//! some slower than one thread; yielding, 0.77–0.80 s), then parks on a condition variable
//! until the next split, so an idle team costs nothing. A split costs 0.6 µs.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a helper waits, yielding, for the next split before it parks.
pub const SPIN: Duration = Duration::from_micros(500);

/// The work of one split, called once with each part number (part 0 on the calling
/// thread), its lifetime erased while it is shared (see [`Team::run`]).
type Work = dyn Fn(usize) + Sync;

/// The current split: the work, valid until every helper has counted itself done.
#[derive(Clone, Copy)]
struct Job(Option<*const Work>);

// SAFETY: the pointer is only dereferenced by helpers between the split's publication and
// their `remaining` decrement, while `Team::run` keeps the work alive (it returns only
// after `remaining` is 0); the work itself is `Sync`.
unsafe impl Send for Job {}

struct Shared {
    /// Bumped for each split (under `sleep`, so a helper about to park cannot miss it).
    generation: AtomicU64,
    job: Mutex<Job>,
    /// Helpers yet to finish the current split.
    remaining: AtomicUsize,
    /// A helper's part panicked in the current split.
    panicked: AtomicBool,
    stop: AtomicBool,
    sleep: Mutex<()>,
    wake: Condvar,
}

/// The calling thread and `threads − 1` helper threads, each running one part of a split
/// at a time (see the module's documentation).
pub struct Team {
    shared: Arc<Shared>,
    helpers: Vec<JoinHandle<()>>,
    /// Splits are run one at a time (a team shared by several callers takes turns).
    turn: Mutex<()>,
}

impl Team {
    /// A team of `threads` threads (at least 1): the caller and `threads − 1` helpers
    /// named `name-1`, `name-2`, …. `Err` when the system refuses a thread.
    pub fn new(threads: usize, name: &str) -> std::io::Result<Team> {
        let shared = Arc::new(Shared {
            generation: AtomicU64::new(0),
            job: Mutex::new(Job(None)),
            remaining: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            sleep: Mutex::new(()),
            wake: Condvar::new(),
        });
        let mut team = Team {
            shared: shared.clone(),
            helpers: Vec::new(),
            turn: Mutex::new(()),
        };
        for part in 1..threads.max(1) {
            let shared = shared.clone();
            let helper = std::thread::Builder::new()
                .name(format!("{name}-{part}"))
                .spawn(move || help(&shared, part))?;
            team.helpers.push(helper);
        }
        Ok(team)
    }

    /// Its number of threads, the caller included.
    pub fn threads(&self) -> usize {
        self.helpers.len() + 1
    }

    /// Calls `work(part)` for every part `0..threads()`, part 0 on this thread and each
    /// other on a helper, and returns when all are done. A panic in any part is raised
    /// here once every part has finished.
    pub fn run(&self, work: &(dyn Fn(usize) + Sync)) {
        if self.helpers.is_empty() {
            work(0);
            return;
        }
        let _turn = self.turn.lock().unwrap_or_else(PoisonError::into_inner);
        let shared = &*self.shared;
        // SAFETY (of the erasure): helpers use the pointer only until they decrement
        // `remaining`, and this function returns only after it is 0 (below, also when
        // part 0 panics), so `work` outlives every use.
        let erased: *const (dyn Fn(usize) + Sync + '_) = work;
        let erased: *const Work = unsafe { std::mem::transmute(erased) };
        *shared.job.lock().unwrap_or_else(PoisonError::into_inner) = Job(Some(erased));
        shared
            .remaining
            .store(self.helpers.len(), Ordering::Release);
        {
            let _sleep = shared.sleep.lock().unwrap_or_else(PoisonError::into_inner);
            shared.generation.fetch_add(1, Ordering::AcqRel);
            shared.wake.notify_all();
        }
        let own = catch_unwind(AssertUnwindSafe(|| work(0)));
        // The parts are balanced, so the wait is short; yielding lets a helper that shares
        // this core finish.
        while shared.remaining.load(Ordering::Acquire) != 0 {
            std::thread::yield_now();
        }
        *shared.job.lock().unwrap_or_else(PoisonError::into_inner) = Job(None);
        if let Err(payload) = own {
            resume_unwind(payload);
        }
        if shared.panicked.swap(false, Ordering::AcqRel) {
            panic!("a part of a split run on a helper thread panicked");
        }
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        {
            let _sleep = self
                .shared
                .sleep
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            self.shared.stop.store(true, Ordering::Release);
            self.shared.wake.notify_all();
        }
        for helper in self.helpers.drain(..) {
            let _ = helper.join();
        }
    }
}

/// A helper's life: wait for a split (spinning, then parked), run its part, count itself
/// done; until the team is dropped.
fn help(shared: &Shared, part: usize) {
    let mut seen = 0;
    loop {
        let started = Instant::now();
        loop {
            if shared.stop.load(Ordering::Acquire) {
                return;
            }
            if shared.generation.load(Ordering::Acquire) != seen {
                break;
            }
            if started.elapsed() < SPIN {
                // Yielding, not spinning in place: should this helper share a core with
                // the caller (another process busy on the other), the caller runs at once.
                std::thread::yield_now();
                continue;
            }
            let sleep = shared.sleep.lock().unwrap_or_else(PoisonError::into_inner);
            // Checked again under the lock: a split published after this check bumps the
            // generation under the same lock, so its notification finds this helper
            // waiting. The timeout only bounds a spurious miss.
            if shared.generation.load(Ordering::Acquire) == seen
                && !shared.stop.load(Ordering::Acquire)
            {
                let _ = shared
                    .wake
                    .wait_timeout(sleep, Duration::from_millis(50))
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
        seen = shared.generation.load(Ordering::Acquire);
        let job = *shared.job.lock().unwrap_or_else(PoisonError::into_inner);
        if let Job(Some(work)) = job {
            // SAFETY: see `Job` and `Team::run`: the work is alive until `remaining`
            // (decremented below) reaches 0.
            let work = unsafe { &*work };
            if catch_unwind(AssertUnwindSafe(|| work(part))).is_err() {
                shared.panicked.store(true, Ordering::Release);
            }
        }
        shared.remaining.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    /// Every part runs exactly once per split, part 0 on the calling thread, over many
    /// splits in a row (helpers spinning) and after pauses longer than the spin (helpers
    /// parked).
    #[test]
    fn every_part_runs_once_per_split() {
        let team = Team::new(3, "test").unwrap();
        assert_eq!(team.threads(), 3);
        let caller = std::thread::current().id();
        for round in 0..2_000u32 {
            let counts: Vec<AtomicU32> = (0..3).map(|_| AtomicU32::new(0)).collect();
            let on_caller = AtomicBool::new(false);
            team.run(&|part| {
                counts[part].fetch_add(1, Ordering::Relaxed);
                if part == 0 {
                    on_caller.store(std::thread::current().id() == caller, Ordering::Relaxed);
                }
            });
            assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == 1));
            assert!(on_caller.load(Ordering::Relaxed));
            if round % 500 == 0 {
                std::thread::sleep(SPIN * 3);
            }
        }
    }

    /// The parts' writes are seen by the caller when `run` returns.
    #[test]
    fn the_parts_writes_are_seen_after_the_split() {
        let team = Team::new(2, "test").unwrap();
        let mut values = vec![0u64; 1 << 16];
        for round in 1..=100u64 {
            let halves: Vec<Mutex<&mut [u64]>> = {
                let (a, b) = values.split_at_mut(1 << 15);
                vec![Mutex::new(a), Mutex::new(b)]
            };
            team.run(&|part| {
                for v in halves[part].lock().unwrap().iter_mut() {
                    *v += round;
                }
            });
            drop(halves);
            let expected = round * (round + 1) / 2;
            assert!(values.iter().all(|&v| v == expected));
        }
    }

    /// A panic in a helper's part or in the caller's is raised by `run`, after the other
    /// parts finished, and the team keeps working.
    #[test]
    fn a_panicking_part_is_raised_and_the_team_goes_on() {
        let team = Team::new(2, "test").unwrap();
        for panicking in [0, 1] {
            let done = AtomicU32::new(0);
            let result = catch_unwind(AssertUnwindSafe(|| {
                team.run(&|part| {
                    if part == panicking {
                        panic!("part {part}");
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                })
            }));
            assert!(result.is_err());
            assert_eq!(done.load(Ordering::Relaxed), 1);
        }
        let done = AtomicU32::new(0);
        team.run(&|_| {
            done.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(done.load(Ordering::Relaxed), 2);
    }

    /// A team of one thread runs the work on the caller.
    #[test]
    fn one_thread_runs_on_the_caller() {
        let team = Team::new(1, "test").unwrap();
        let calls = AtomicU32::new(0);
        team.run(&|part| {
            assert_eq!(part, 0);
            calls.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }
}
