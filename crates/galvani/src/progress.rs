//! Progress on stderr for long compiles and runs: a bar when stderr is a terminal, a line
//! every few seconds when it is not (a log, a CI job), and before a long run a line
//! saying how long it will take, estimated from its first steps. Nothing is printed for
//! what ends within the first seconds, so short commands print exactly what they did.

use galvani_driver::CompileProgress;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Nothing is shown before this much time has passed.
const QUIET_FOR: Duration = Duration::from_secs(2);
/// Time between two progress lines when stderr is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(5);
/// The run-time estimate is made once the run has taken this long…
const ESTIMATE_AFTER: Duration = Duration::from_secs(1);
/// …and said when the whole run would take longer than this.
const LONG_RUN: Duration = Duration::from_secs(60);

/// `1 h 05 min`, `3 min 20 s`, `42 s`.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Progress lines of a compilation (stages and JIT functions), when it takes long.
pub struct CompileLines {
    what: String,
    started: Instant,
    last_line: Option<Instant>,
    stage: &'static str,
}

impl CompileLines {
    pub fn new(file: &std::path::Path) -> CompileLines {
        CompileLines {
            what: file.display().to_string(),
            started: Instant::now(),
            last_line: None,
            stage: "",
        }
    }

    pub fn update(&mut self, progress: CompileProgress) {
        let detail = match progress {
            CompileProgress::Stage(stage) => {
                self.stage = stage;
                stage.to_string()
            }
            CompileProgress::Functions { done, total } => {
                format!("{} {done}/{total} functions", self.stage)
            }
        };
        let now = Instant::now();
        let elapsed = now - self.started;
        let due = match self.last_line {
            None => elapsed >= QUIET_FOR,
            Some(last) => now - last >= LINE_EVERY,
        };
        if due {
            eprintln!(
                "galvani: compiling {}: {detail} ({} so far)",
                self.what,
                human_duration(elapsed)
            );
            self.last_line = Some(now);
        }
    }
}

/// Progress of a run: a bar on a terminal, lines otherwise, and the estimate of a long run.
pub struct RunProgress {
    bar: Option<indicatif::ProgressBar>,
    terminal: bool,
    started: Instant,
    last_line: Option<Instant>,
    estimated: bool,
}

impl Default for RunProgress {
    fn default() -> Self {
        RunProgress::new()
    }
}

impl RunProgress {
    pub fn new() -> RunProgress {
        RunProgress {
            bar: None,
            terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
            last_line: None,
            estimated: false,
        }
    }

    /// `done` of `total` steps are taken (the runtime reports after steps 1, 2, 4, … and
    /// then at a fixed interval).
    pub fn update(&mut self, done: u64, total: u64) {
        let now = Instant::now();
        if done == 0 {
            // The time loop starts now (a network reports this after building its
            // synapses): estimates count from here.
            self.started = now;
            return;
        }
        let elapsed = now - self.started;
        if !self.estimated && elapsed >= ESTIMATE_AFTER && done < total {
            self.estimated = true;
            // t_total ≈ elapsed · total/done: the first steps' rate held for the whole run.
            let estimate = elapsed.mul_f64(total as f64 / done.max(1) as f64);
            if estimate > LONG_RUN {
                eprintln!(
                    "galvani: this run will take about {} ({total} steps; estimated from the first {done})",
                    human_duration(estimate)
                );
            }
        }
        if self.terminal {
            if self.bar.is_none() && elapsed > QUIET_FOR {
                let bar = indicatif::ProgressBar::new(total);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} steps, {eta} left",
                ) {
                    bar.set_style(style);
                }
                self.bar = Some(bar);
            }
            if let Some(bar) = &self.bar {
                bar.set_position(done);
            }
            return;
        }
        let due = match self.last_line {
            None => elapsed >= QUIET_FOR,
            Some(last) => now - last >= LINE_EVERY,
        };
        if due && done < total {
            // t_left ≈ elapsed · (total − done)/done
            let left = elapsed.mul_f64((total - done) as f64 / done.max(1) as f64);
            eprintln!(
                "galvani: run {:.0}% ({done}/{total} steps), about {} left",
                100.0 * done as f64 / total.max(1) as f64,
                human_duration(left)
            );
            self.last_line = Some(now);
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human_duration(Duration::from_millis(42_300)), "42.3 s");
        assert_eq!(human_duration(Duration::from_secs(200)), "3 min 20 s");
        assert_eq!(human_duration(Duration::from_secs(3900)), "1 h 05 min");
    }
}
