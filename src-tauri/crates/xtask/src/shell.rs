//! Running commands for the gates: echoing them, teeing their output, and tallying results into
//! the closing `N passed, N failed` line.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

pub fn repo_root() -> PathBuf {
    // xtask lives at src-tauri/crates/xtask; the root is three levels up.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn cmd(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command.args(args);
    command
}

fn describe(command: &Command) -> String {
    let mut parts = vec![command.get_program().to_string_lossy().into_owned()];
    parts.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// Runs a set-up step; its failure stops everything.
pub fn step(name: &str, command: &mut Command) -> Result<(), String> {
    println!("==> {name}: {}", describe(command));
    let status = command
        .status()
        .map_err(|err| format!("{name}: cannot run {}: {err}", describe(command)))?;
    if status.success() { Ok(()) } else { Err(format!("{name} failed ({status})")) }
}

/// Runs `command`, echoing stdout while keeping it for parsing.
fn tee(command: &mut Command) -> std::io::Result<(bool, Vec<String>)> {
    let mut child = command.stdout(Stdio::piped()).spawn()?;
    let mut lines = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            lines.push(line);
        }
    }
    Ok((child.wait()?.success(), lines))
}

/// `test result: ok. 12 passed; 0 failed; …` lines summed.
fn parse_cargo_results(lines: &[String]) -> Option<(u32, u32)> {
    let mut found = None;
    for line in lines {
        let Some(rest) = line.strip_prefix("test result: ") else { continue };
        let number_before = |word: &str| {
            rest.split(';')
                .find_map(|part| {
                    part.trim()
                        .strip_suffix(word)
                        .and_then(|n| n.trim().rsplit(' ').next()?.parse::<u32>().ok())
                })
                .unwrap_or(0)
        };
        let (passed, failed) = found.unwrap_or((0, 0));
        found = Some((passed + number_before(" passed"), failed + number_before(" failed")));
    }
    found
}

#[derive(Default)]
pub struct Tally {
    passed: u32,
    failed: u32,
    failures: Vec<String>,
    started: Option<Instant>,
    /// Each step's name and how long it took, for the summary: a slow gate is found by reading it.
    timings: Vec<(String, f64)>,
}

/// Seconds since `since`, for the step timings.
fn seconds(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}

impl Tally {
    pub fn start(&mut self) {
        self.started.get_or_insert_with(Instant::now);
    }

    pub fn timed(&mut self, name: &str, since: Instant) {
        let took = seconds(since);
        println!("    ({name}: {took:.1} s)");
        self.timings.push((name.to_string(), took));
    }

    pub fn record(&mut self, name: &str, outcome: Result<(), String>) -> bool {
        self.start();
        match outcome {
            Ok(()) => {
                println!("ok: {name}");
                self.passed += 1;
                true
            }
            Err(why) => {
                println!("FAILED: {name}: {why}");
                self.failed += 1;
                self.failures.push(format!("{name}: {why}"));
                false
            }
        }
    }

    /// A check that passes or fails as one.
    pub fn gate(&mut self, name: &str, command: &mut Command) -> bool {
        println!("\n==> {name}: {}", describe(command));
        let since = Instant::now();
        let outcome = match command.status() {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(format!("exited with {status}")),
            Err(err) => Err(format!("cannot run: {err}")),
        };
        self.timed(name, since);
        self.record(name, outcome)
    }

    /// A check run in this process, timed like the others.
    pub fn check(&mut self, name: &str, check: impl FnOnce() -> Result<(), String>) -> bool {
        let since = Instant::now();
        let outcome = check();
        self.timed(name, since);
        self.record(name, outcome)
    }

    /// A cargo test run: every test counts; a build failure counts as one failure.
    pub fn cargo_tests(&mut self, name: &str, command: &mut Command) {
        self.start();
        println!("\n==> {name}: {}", describe(command));
        let since = Instant::now();
        let outcome = tee(command);
        self.timed(name, since);
        match outcome {
            Ok((success, lines)) => {
                let (passed, failed) = parse_cargo_results(&lines).unwrap_or((0, 0));
                self.passed += passed;
                self.failed += failed;
                if failed > 0 {
                    self.failures.push(format!("{name}: {failed} failed"));
                } else if !success {
                    self.record(name, Err("the run failed before its tests finished".into()));
                } else if passed == 0 {
                    self.record(name, Err("ran no test".into()));
                }
            }
            Err(err) => {
                self.record(name, Err(format!("cannot run: {err}")));
            }
        }
    }

    /// Vitest, with its counts read from its JSON report.
    pub fn vitest(&mut self, ui: &Path, report: &Path) {
        self.start();
        let _ = std::fs::remove_file(report);
        let output_flag = format!("--outputFile.json={}", report.display());
        let mut command =
            cmd("npx", &["vitest", "run", "--reporter=default", "--reporter=json", &output_flag]);
        command.current_dir(ui);
        println!("\n==> UI unit tests: {}", describe(&command));
        let since = Instant::now();
        let success = command.status().map(|s| s.success()).unwrap_or(false);
        self.timed("UI unit tests", since);
        let counts = std::fs::read_to_string(report).ok().and_then(|json| {
            let number = |key: &str| {
                let at = json.find(&format!("\"{key}\":"))? + key.len() + 3;
                json[at..].split(|c: char| !c.is_ascii_digit()).next()?.parse::<u32>().ok()
            };
            Some((number("numPassedTests")?, number("numFailedTests")?))
        });
        match counts {
            Some((passed, failed)) => {
                self.passed += passed;
                self.failed += failed;
                if failed > 0 {
                    self.failures.push(format!("UI unit tests: {failed} failed"));
                } else if !success {
                    self.record("UI unit tests", Err("vitest failed".into()));
                } else if passed == 0 {
                    self.record("UI unit tests", Err("ran no test".into()));
                }
            }
            None => {
                self.record("UI unit tests", Err("no report was written".into()));
            }
        }
    }

    pub fn finish(self) -> Result<(), String> {
        let minutes = self.started.map(|s| s.elapsed().as_secs_f64() / 60.0).unwrap_or(0.0);
        println!("\n==> summary ({minutes:.1} min)");
        // Slowest first, leaving out the steps that took under a second (the boundary checks).
        let mut timings = self.timings;
        timings.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (name, took) in timings.iter().filter(|(_, took)| *took >= 1.0) {
            println!("  {took:>7.1} s  {name}");
        }
        for failure in &self.failures {
            println!("  failed: {failure}");
        }
        println!("{} passed, {} failed", self.passed, self.failed);
        if self.failed == 0 { Ok(()) } else { Err(format!("{} failed", self.failed)) }
    }
}

/// `forbidden` must not appear among `package`'s normal dependencies.
pub fn not_in_tree(root: &Path, package: &str, forbidden: &str) -> Result<(), String> {
    let output = cmd(
        "cargo",
        &["tree", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}"],
    )
    .current_dir(root)
    .output()
    .map_err(|err| format!("cannot run cargo tree: {err}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    match tree.lines().find(|line| line.split(' ').next() == Some(forbidden)) {
        Some(line) => Err(format!("{package} depends on {line}")),
        None => Ok(()),
    }
}

/// The generated TypeScript bindings must be exactly what is committed.
pub fn bindings_fresh(root: &Path) -> Result<(), String> {
    let output = cmd("git", &["status", "--porcelain", "--", "ui/src/ipc/bindings"])
        .current_dir(root)
        .output()
        .map_err(|err| format!("cannot run git: {err}"))?;
    let changed = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    if changed.trim().is_empty() {
        Ok(())
    } else {
        Err(format!("regenerated bindings differ from the committed ones; commit them:\n{changed}"))
    }
}

pub fn machine_description() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let memory_gib = read("/proc/meminfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?.trim().parse::<f64>().ok()
        })
        .map(|kib| kib / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string()))
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    format!("{cpu}, {cores} cores, {memory_gib:.0} GiB, {os}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_cargo_result_lines() {
        let lines = [
            "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "noise",
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
        ]
        .map(String::from);
        assert_eq!(parse_cargo_results(&lines), Some((15, 2)));
        assert_eq!(parse_cargo_results(&["nothing".to_string()]), None);
    }
}
