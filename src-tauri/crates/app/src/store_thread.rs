//! The one thread that does the database's work for an [`App`](crate::App) and its clones.
//!
//! The store is behind one lock, so its work never ran two at a time anyway; what the runtime's
//! blocking pool added was a new thread for nearly every call, and with glibc each of those
//! threads allocates from an arena of its own (up to eight per core), where the memory a query
//! freed stays with that arena. On one thread the page cache, the rows read and the pages
//! answered all come from one arena and are used again by the next call. The thread also counts
//! the work it was given, so the window can tell when the app has gone idle (see
//! [`App::store_work`](crate::App::store_work)).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};

use recert_store::Store;

use crate::context::lock;
use crate::{AppError, ErrorCode};

type Work = Box<dyn FnOnce() + Send>;

/// Sends work to the database thread; the thread ends when the last clone is dropped.
#[derive(Clone)]
pub(crate) struct StoreThread {
    work: Sender<Work>,
    /// Pieces of work sent so far.
    sent: Arc<AtomicU64>,
}

impl StoreThread {
    pub(crate) fn start() -> Result<StoreThread, AppError> {
        let (work, queue) = channel::<Work>();
        std::thread::Builder::new()
            .name("recert-store".into())
            .spawn(move || {
                for job in queue {
                    // A panic in one piece of work fails that call (its answer is never sent)
                    // and leaves the thread serving the next, as a pool thread would.
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            })
            .map_err(|err| {
                AppError::new(
                    ErrorCode::Storage,
                    format!("cannot start the database thread: {err}"),
                )
            })?;
        Ok(StoreThread { work, sent: Arc::default() })
    }

    /// Runs `work` on the database thread with the store locked, and waits for its answer.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        store: &Arc<Mutex<Store>>,
        work: impl FnOnce(&mut Store) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let store = store.clone();
        let job: Work = Box::new(move || {
            let result = work(&mut lock(&store));
            // The store goes before the answer: whoever drops the last `App` on receiving it
            // closes the database there and then, not whenever this thread gets to it.
            drop(store);
            let _ = answer.send(result);
        });
        self.sent.fetch_add(1, Ordering::Relaxed);
        let failed = || AppError::new(ErrorCode::Storage, "database task failed");
        self.work.send(job).map_err(|_| failed())?;
        answered.await.map_err(|_| failed())?
    }

    /// How many pieces of work were sent so far.
    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use crate::App;

    #[tokio::test]
    async fn all_database_work_runs_on_one_thread_and_a_panic_fails_only_its_own_call() {
        let app = App::open_in_memory(App::system_clock()).expect("app");
        let before = app.store_work();
        let mut threads = std::collections::HashSet::new();
        for _ in 0..20 {
            let name = app
                .with_store(|_| Ok(std::thread::current().name().map(str::to_string)))
                .await
                .expect("work");
            threads.insert(name);
        }
        assert_eq!(
            threads.into_iter().collect::<Vec<_>>(),
            vec![Some("recert-store".to_string())],
            "every piece of work runs on the database's own thread"
        );
        assert_eq!(app.store_work() - before, 20, "each piece of work is counted");

        let failed = app.with_store(|_| -> Result<(), crate::AppError> { panic!("a bug") }).await;
        assert!(failed.is_err(), "the call whose work panicked fails");
        app.release_cache().await.expect("the thread still serves the next call");
        assert!(app.tenants().await.is_ok(), "and the store is still usable");
    }
}
