//! One app per data directory: on a desktop session (a D-Bus session bus, started here for the
//! test), a second launch on the same data hands over to the running window, which comes to the
//! front with the keyboard focus, and exits at once without opening the database; a launch on
//! another data directory (a side-by-side install) runs as an instance of its own.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use recert_tests::repo_root;

use crate::window::{DataDir, Window};

/// A private session bus, stopped on drop.
struct Bus {
    daemon: Child,
    address: String,
}

impl Bus {
    fn start() -> Bus {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon starts (package dbus-daemon)");
        let mut address = String::new();
        let stdout = daemon.stdout.take().expect("its output");
        BufReader::new(stdout).read_line(&mut address).expect("the bus address");
        Bus { daemon, address: address.trim().to_string() }
    }

    /// The names Recert instances own on the bus.
    fn instances(&self) -> Vec<String> {
        let out = Command::new("dbus-send")
            .args([
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.ListNames",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("dbus-send runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("string \"")?.strip_suffix('"').map(String::from))
            .filter(|name| name.starts_with("app.recert.desktop"))
            .collect()
    }

    fn wait_for_instances(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let names = self.instances();
            if names.len() == n {
                return names;
            }
            assert!(Instant::now() < deadline, "expected {n} instances on the bus, see {names:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Runs xdotool (the virtual display's window tool) and returns what it printed.
fn xdotool(args: &[&str]) -> String {
    let out = Command::new("xdotool").args(args).output().expect("xdotool runs (package xdotool)");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The process owning the window that has the keyboard focus.
fn focused_pid() -> Option<u32> {
    xdotool(&["getwindowfocus", "getwindowpid"]).parse().ok()
}

/// The visible window of process `pid`, waiting up to a minute for it to appear.
fn window_of(pid: u32) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = xdotool(&["search", "--onlyvisible", "--pid", &pid.to_string()]);
        if let Some(window) = found.lines().next() {
            return window.to_string();
        }
        assert!(Instant::now() < deadline, "process {pid} shows no window");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits up to `secs` for `child` to exit; its status, or `None` if it still runs.
fn exited(child: &mut Child, secs: u64) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_launch_on_the_same_data_hands_over_to_the_running_window() {
    let bus = Bus::start();
    let app = repo_root().join("target/debug/recert");
    let data = tempfile::tempdir().expect("a data dir");
    let window = Window::launch_with(
        &app,
        DataDir::Given(data.path().to_path_buf()),
        &[("DBUS_SESSION_BUS_ADDRESS", std::ffi::OsStr::new(&bus.address))],
    )
    .await;
    window.wait_for(".sidebar .nav-item", 60).await;
    let first = bus.wait_for_instances(1);
    let first_pid = match running_on(&app, data.path()).as_slice() {
        [pid] => *pid,
        found => panic!("one app runs from {}: {found:?}", app.display()),
    };

    // Another data directory is another instance (a side-by-side install); its window takes the
    // keyboard focus from the first.
    let other = tempfile::tempdir().expect("another data dir");
    let mut beside = Command::new(&app)
        .env("RECERT_DATA_DIR", other.path())
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("a launch on other data");
    let both = bus.wait_for_instances(2);
    assert!(both.contains(&first[0]), "{both:?}");
    assert!(beside.try_wait().expect("status").is_none(), "it runs beside the first");
    let beside_window = window_of(beside.id());
    xdotool(&["windowfocus", "--sync", &beside_window]);
    assert_eq!(focused_pid(), Some(beside.id()), "the other instance's window has the focus");

    // A second launch on the first one's data: it hands over and exits successfully, and the
    // first window comes to the front with the focus.
    let mut second = Command::new(&app)
        .env("RECERT_DATA_DIR", data.path())
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("a second launch");
    let status = exited(&mut second, 60);
    if status.is_none() {
        let _ = second.kill();
    }
    assert!(status.is_some_and(|s| s.success()), "the second launch exits at once: {status:?}");
    assert_eq!(bus.instances().len(), 2, "no third instance: {:?}", bus.instances());
    let deadline = Instant::now() + Duration::from_secs(30);
    while focused_pid() != Some(first_pid) {
        assert!(Instant::now() < deadline, "the first window did not get the focus back");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = beside.kill();
    let _ = beside.wait();
    // The first window is still there and answering.
    window.click("#nav-campaigns").await;
    window.screenshot("single-instance-focused").await;
    window.close().await;
}

/// The processes of `exe` working on `data`: another test's window that outlived its test must
/// not be taken for this one's.
fn running_on(exe: &std::path::Path, data: &std::path::Path) -> Vec<u32> {
    let wanted = format!("RECERT_DATA_DIR={}", data.display());
    crate::update::running(exe)
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == wanted.as_bytes()))
        })
        .collect()
}
