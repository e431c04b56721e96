//! What the window keeps in memory. A second after the last piece of database work (a search, a
//! page of the worklist, a pull, the demo tenant's start) the database's page cache is given back
//! and glibc's allocator returns what is free to the system, so an idle window holds what it
//! shows, not what its last search or pull used. And the web engine keeps no cache of pages or
//! resources no longer shown: it shows one local page. glibc keeps its usual number of malloc
//! arenas: capping them at two (M_ARENA_MAX), measured on its own, saved little memory and made a
//! search keystroke in a 100,000-item worklist much slower.

use std::time::Duration;

use recert_app::App;

/// How long the database must be quiet before memory is given back: longer than the pause
/// between two keystrokes of a search, so typing keeps its cache warm.
const QUIET: Duration = Duration::from_secs(1);

/// Returns the allocator's free memory to the system (glibc keeps it otherwise).
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only releases pages that hold no allocation; it takes each arena's
    // lock, so it is safe beside threads that allocate (they wait while it runs).
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Tells the web engine it shows a document, not the web: no back-and-forward cache of whole
/// pages and no decoded resources kept after they go out of use (WebKitGTK's "document viewer"
/// cache model; a browser's default keeps both).
pub fn lean_web_engine(window: &tauri::WebviewWindow) {
    #[cfg(target_os = "linux")]
    {
        use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
        let outcome = window.with_webview(|webview| {
            if let Some(context) = webview.inner().context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(err) = outcome {
            tracing::warn!(%err, "the web engine's cache model could not be set");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// Watches the app's database work for as long as the window runs, and gives memory back once
/// it has been quiet for [`QUIET`] after some.
pub fn release_when_idle(app: App) {
    tauri::async_runtime::spawn(async move {
        let mut seen = app.store_work();
        let mut worked = true;
        loop {
            tokio::time::sleep(QUIET).await;
            let now = app.store_work();
            if now != seen {
                (seen, worked) = (now, true);
                continue;
            }
            if worked {
                if let Err(err) = app.release_cache().await {
                    tracing::warn!(%err, "the database cache could not be given back");
                }
                let _ = tokio::task::spawn_blocking(trim).await;
                // Giving it back was work too; it does not count as activity.
                (seen, worked) = (app.store_work(), false);
            }
        }
    });
}
