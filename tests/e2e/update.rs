//! Signed updates, in the real window: the app (a copy installed in a directory of its own) is
//! pointed by the machine's policy file at a static server on loopback serving a newer release
//! and a signing key made by this test. It offers the release; a tampered package is refused
//! with a clear message and the installed app is left as it was; the genuine package is installed
//! and the app restarts into it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use recert_tests::repo_root;

use crate::window::{DataDir, Window};

/// A static file server on loopback, like any web server or share an admin would publish to:
/// `GET /name` answers the file `dir/name`, read at the moment of the request.
fn serve(dir: PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    return;
                }
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(n) if n > 2 => continue,
                        _ => break,
                    }
                }
                let name = request.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/');
                let mut stream = &stream;
                let _ = match std::fs::read(dir.join(name)) {
                    Ok(body) if !name.contains("..") => stream
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .and_then(|()| stream.write_all(&body)),
                    _ => stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    ),
                };
            });
        }
    });
    port
}

/// The processes running `exe` (by /proc/<pid>/exe), the test's own app copy.
pub(crate) fn running(exe: &Path) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if std::fs::read_link(entry.path().join("exe")).is_ok_and(|p| p == exe) {
            pids.push(pid);
        }
    }
    pids
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_finds_a_newer_release_refuses_a_tampered_one_and_restarts_into_it() {
    // The installed app: a copy of the build in a directory of its own, which the update replaces.
    let install = tempfile::tempdir().expect("an install dir");
    let app = install.path().join("recert");
    std::fs::copy(repo_root().join("target/debug/recert"), &app).expect("the app is built");
    let installed = std::fs::read(&app).expect("read");
    // The newer release: the same program with a marker appended (an ELF file runs the same
    // with bytes after its end), so the file on disk tells which one is installed.
    let mut newer = installed.clone();
    newer.extend_from_slice(b"\nrecert release 9.9.9\n");

    // The release manager's key pair, made for this test (never stored), and the signature the
    // bundler writes: minisign, with the version in the trusted comment.
    let keys = minisign::KeyPair::generate_unencrypted_keypair().expect("a key pair");
    let signature = minisign::sign(
        Some(&keys.pk),
        &keys.sk,
        std::io::Cursor::new(&newer),
        Some("timestamp:1765000000\tfile:recert\tversion:9.9.9"),
        Some("signature from the release key"),
    )
    .expect("signed")
    .into_string();
    let pubkey = keys.pk.to_box().expect("public key box").into_string();

    // The static site: the manifest and, first, a package altered after it was signed.
    let site = tempfile::tempdir().expect("a site dir");
    let port = serve(site.path().to_path_buf());
    let mut tampered = newer.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x5a;
    std::fs::write(site.path().join("recert-9.9.9"), &tampered).expect("package");
    std::fs::write(
        site.path().join("latest.json"),
        serde_json::json!({
            "version": "9.9.9",
            "notes": "Faster worklists.",
            "pub_date": "2026-12-01T00:00:00Z",
            "platforms": { "linux-x86_64": {
                "signature": b64(&signature),
                "url": format!("http://127.0.0.1:{port}/recert-9.9.9"),
            } }
        })
        .to_string(),
    )
    .expect("manifest");

    // The admin's policy: where releases are published, and the key they are signed with.
    let policy = install.path().join("policy.json");
    std::fs::write(
        &policy,
        serde_json::json!({ "updates": {
            "url": format!("http://127.0.0.1:{port}/latest.json"),
            "pubkey": b64(&pubkey),
        } })
        .to_string(),
    )
    .expect("policy");

    let window = Window::launch_with(
        &app,
        DataDir::Fresh(tempfile::tempdir().expect("data")),
        &[("RECERT_MACHINE_POLICY", policy.as_os_str())],
    )
    .await;
    let before = running(&app);
    assert_eq!(before.len(), 1, "one app runs from the installed file: {before:?}");

    // The app looks shortly after start-up and asks before installing anything.
    let offer = window.wait_for_text("#update-banner", "9.9.9", 90).await;
    assert!(offer.contains("Faster worklists."), "the release notes are shown: {offer}");
    window.screenshot("update-offered").await;
    assert_eq!(std::fs::read(&app).expect("read"), installed, "nothing installed unasked");

    // The tampered package is refused, saying why, and the installed app is untouched.
    window.click("#update-install").await;
    let refused = window.wait_for_text("[role=alert]", "signature", 120).await;
    assert!(refused.contains("was not installed"), "{refused}");
    window.screenshot("update-tampered").await;
    assert_eq!(std::fs::read(&app).expect("read"), installed, "the tampered package was refused");
    assert_eq!(running(&app), before, "the app still runs, not restarted");

    // The genuine package: installed, and the app restarts into it.
    std::fs::write(site.path().join("recert-9.9.9"), &newer).expect("package");
    window.click("#update-install").await;
    let deadline = Instant::now() + Duration::from_secs(180);
    let restarted = loop {
        let now = running(&app);
        if std::fs::read(&app).is_ok_and(|bytes| bytes == newer)
            && now.iter().any(|pid| !before.contains(pid))
        {
            break now;
        }
        assert!(Instant::now() < deadline, "no restart into the new release: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for pid in restarted.iter().filter(|pid| !before.contains(pid)) {
        let _ = std::process::Command::new("kill").arg(pid.to_string()).status();
    }
    drop(window);
}
