//! Starting the app under tauri-driver and connecting a WebDriver session to its window.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use recert_tests::repo_root;

/// tauri-driver, killed politely on drop: it stops its WebKitWebDriver only on SIGTERM, and an
/// orphaned one would hold the port and hang the next run.
struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the app under test keeps its data: a fresh temporary directory, or one prepared by the
/// caller (benchmarks seed a large campaign first).
pub enum DataDir {
    Fresh(tempfile::TempDir),
    Given(PathBuf),
}

impl DataDir {
    pub fn path(&self) -> &std::path::Path {
        match self {
            DataDir::Fresh(dir) => dir.path(),
            DataDir::Given(path) => path,
        }
    }
}

/// A running app with a WebDriver session on its main window and a private data directory.
pub struct Window {
    pub client: Client,
    data: DataDir,
    _driver: Driver,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Window {
    /// The debug build with a fresh database.
    pub async fn open() -> Window {
        let app = repo_root().join("target/debug/recert");
        let data = DataDir::Fresh(tempfile::tempdir().expect("a temp data dir"));
        Window::launch(&app, data).await
    }

    /// Starts `app` under tauri-driver with its data in `data` and connects a session.
    pub async fn launch(app: &std::path::Path, data: DataDir) -> Window {
        Window::launch_with(app, data, &[]).await
    }

    /// Like [`Window::launch`], with more environment for the app (a policy file, say).
    pub async fn launch_with(
        app: &std::path::Path,
        data: DataDir,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Window {
        let driver_path = std::env::var_os("RECERT_TAURI_DRIVER")
            .map(PathBuf::from)
            .expect("RECERT_TAURI_DRIVER names tauri-driver (cargo xtask test sets it)");
        assert!(app.exists(), "{} is built (cargo build -p recert)", app.display());
        let (port, native_port) = (free_port(), free_port());
        let child = Command::new(&driver_path)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            // The app inherits this through WebKitWebDriver: each test gets a fresh database.
            .env("RECERT_DATA_DIR", data.path())
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .expect("tauri-driver starts");
        let driver = Driver { child };

        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        // Commands must not wait on the page's load state: the app page never navigates, and a
        // load that never reports complete would otherwise block every command.
        caps.insert("pageLoadStrategy".into(), "none".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app.to_string_lossy() }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            let attempt = tokio::time::timeout(
                Duration::from_secs(30),
                ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url),
            )
            .await;
            match attempt {
                Ok(Ok(client)) => break client,
                other if Instant::now() > deadline => panic!("no WebDriver session: {other:?}"),
                _ => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        };
        // With no page-load waits, the session can start while the webview still shows its
        // first blank page: wait for the app's own page before touching it.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let state = tokio::time::timeout(
                Duration::from_secs(5),
                client.execute("return location.protocol + ' ' + document.readyState", vec![]),
            )
            .await;
            match state {
                Ok(Ok(value))
                    if value
                        .as_str()
                        .is_some_and(|s| !s.starts_with("about:") && s.ends_with("complete")) =>
                {
                    break;
                }
                _ if Instant::now() > deadline => panic!("the app's page did not load: {state:?}"),
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        // The webview keeps local storage across runs (the theme): start from the defaults.
        let reset = client.execute(
            "localStorage.clear(); delete document.documentElement.dataset.theme;",
            vec![],
        );
        let _ = tokio::time::timeout(Duration::from_secs(10), reset).await;
        Window { client, data, _driver: driver }
    }

    /// The process id of tauri-driver (the app runs below it); the window benchmark sums the
    /// memory of its process tree.
    #[allow(dead_code)]
    pub fn driver_pid(&self) -> u32 {
        self._driver.child.id()
    }

    /// Waits up to `secs` for `css` to appear.
    /// On a timeout, the window as it was is saved as `failure.png`.
    pub async fn wait_for(&self, css: &str, secs: u64) -> fantoccini::elements::Element {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            // A lookup that meets a navigation (a page unloading under it) fails with an error
            // rather than "no such element": both mean "not yet".
            let last = match self.client.find(Locator::Css(css)).await {
                Ok(element) => return element,
                Err(err) => err,
            };
            if Instant::now() > deadline {
                self.screenshot("failure").await;
                panic!("{css} did not appear within {secs} s: {last} (see failure.png)")
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot of the window as `target/e2e-shots/{name}.png`, after two animation
    /// frames so that the picture shows the DOM the test just asserted on, not an older paint.
    pub async fn screenshot(&self, name: &str) {
        // rAF can be throttled when the window is not composited, so a timer finishes the wait
        // too, and the whole call is bounded: a screenshot must never wedge a test.
        let settle = "const done = arguments[arguments.length - 1];
                      setTimeout(() => done(true), 300);
                      requestAnimationFrame(() => requestAnimationFrame(() => done(true)));";
        let _ =
            tokio::time::timeout(Duration::from_secs(3), self.client.execute_async(settle, vec![]))
                .await;
        // WebKitWebDriver takes a snapshot after the page's next presentation update, and a still
        // page under Xvfb never has one: the command would wait forever, and every later command
        // queues behind it. A one-pixel mark in the corner that changes shade every 50 ms keeps
        // the page painting until the snapshot is taken, then removes itself.
        let nudge = "let mark = document.getElementById('e2e-repaint');
                     if (!mark) {
                       mark = document.createElement('div');
                       mark.id = 'e2e-repaint';
                       mark.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;z-index:2147483647';
                       document.body.appendChild(mark);
                     }
                     let n = 0;
                     clearInterval(window.__e2eRepaint);
                     window.__e2eRepaint = setInterval(() => {
                       n += 1;
                       mark.style.background = n % 2 ? 'rgba(0,0,0,0.02)' : 'rgba(0,0,0,0.03)';
                       if (n > 200) { clearInterval(window.__e2eRepaint); mark.remove(); }
                     }, 50);";
        let _ =
            tokio::time::timeout(Duration::from_secs(3), self.client.execute(nudge, vec![])).await;
        let dir = repo_root().join("target/e2e-shots");
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        let png = self.client.screenshot().await.expect("a screenshot");
        let stop = "clearInterval(window.__e2eRepaint);
                    const mark = document.getElementById('e2e-repaint'); if (mark) mark.remove();";
        let _ =
            tokio::time::timeout(Duration::from_secs(3), self.client.execute(stop, vec![])).await;
        std::fs::write(dir.join(format!("{name}.png")), png).expect("the screenshot is written");
    }

    /// Waits up to `secs` until exactly `n` elements match `css`.
    pub async fn wait_for_count(&self, css: &str, n: usize, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let found = self.client.find_all(Locator::Css(css)).await.map(|v| v.len()).unwrap_or(0);
            if found == n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css}: expected {n} elements, still {found} after {secs} s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the first element matching `css`, waiting up to 30 s for it to appear. A list that
    /// re-renders (a search narrowing the worklist, say) can replace the element between finding
    /// and clicking it; the click then goes to the element that matches now.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let element = self.wait_for(css, 30).await;
            match element.click().await {
                Ok(()) => return,
                Err(err) if Instant::now() < deadline && is_stale(&err.to_string()) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => panic!("cannot click {css}: {err}"),
            }
        }
    }

    /// Types `text` into the element matching `css` (sent as key presses).
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.wait_for(css, 30).await;
        element.send_keys(text).await.unwrap_or_else(|err| panic!("cannot type into {css}: {err}"));
    }

    /// The text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let element = self.wait_for(css, 30).await;
        element.text().await.unwrap_or_else(|err| panic!("no text in {css}: {err}"))
    }

    /// Waits up to `secs` until the element matching `css` contains `needle`.
    pub async fn wait_for_text(&self, css: &str, needle: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} did not say {needle:?} within {secs} s; it says {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The app's private data directory (database, evidence).
    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// Whether a WebDriver error says the element left the page (WebKitGTK names the node "not found";
/// the standard error is "stale element reference").
fn is_stale(err: &str) -> bool {
    err.contains("stale element")
        || (err.contains("Node with identifier") && err.contains("not found"))
}
