//! Acknowledgements sent together. The outbox worker acknowledges every job it sends, one call each, from many
//! senders at once; each acknowledgement alone would be a script call of its own, whose overhead in Redis (reading
//! the command, finding the script, entering Lua, the reply) is larger than its work. Here an acknowledgement that
//! arrives while another call is under way waits for it and goes with every other one waiting, in one script call
//! that settles each in turn and answers for each. Nothing waits on purpose: a lone acknowledgement is sent at
//! once.

use std::sync::{Arc, Mutex, MutexGuard};

use redis::aio::ConnectionManager;
use tokio::sync::oneshot;
use wxgate_store::StoreError;

use crate::scripts::Scripts;

/// The most acknowledgements one script call settles: a longer queue is sent in several, so no call holds Redis
/// (which runs one script at a time) for long.
const MOST: usize = 256;

/// An acknowledgement waiting to be sent, and where its answer goes.
struct Ack {
    id: String,
    worker: String,
    reply: oneshot::Sender<Result<bool, StoreError>>,
}

/// Acknowledgements waiting, and whether a sender is running.
#[derive(Default)]
struct Queue {
    waiting: Vec<Ack>,
    sending: bool,
}

/// The acknowledgements of one store (shared by its clones).
#[derive(Default, Clone)]
pub(crate) struct Acks {
    queue: Arc<Mutex<Queue>>,
}

impl std::fmt::Debug for Acks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acks").field("waiting", &self.lock().waiting.len()).finish()
    }
}

/// Lets a new sender start if this one is dropped before it finishes (a panic; its task is never aborted): the
/// acknowledgements it carried and those waiting hear that it stopped, and the next one starts a new sender —
/// instead of every later acknowledgement waiting for a sender that is gone.
struct Sending {
    acks: Acks,
    finished: bool,
}

impl Drop for Sending {
    fn drop(&mut self) {
        if !self.finished {
            let mut q = self.acks.lock();
            q.sending = false;
            for ack in q.waiting.drain(..) {
                let _ = ack.reply.send(Err(StoreError::Backend("the acknowledgements' sender stopped".into())));
            }
        }
    }
}

impl Acks {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks job `id` sent when `worker` holds it (true), through the next script call.
    pub(crate) async fn ack(
        &self,
        conn: &ConnectionManager,
        scripts: &Arc<Scripts>,
        prefix: &str,
        id: i64,
        worker: &str,
    ) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut q = self.lock();
            q.waiting.push(Ack { id: id.to_string(), worker: worker.to_owned(), reply });
            !std::mem::replace(&mut q.sending, true)
        };
        if start {
            // A task of its own: the caller that started it may be dropped, the others still get their answers.
            let sending = Sending { acks: self.clone(), finished: false };
            let (conn, scripts, prefix) = (conn.clone(), scripts.clone(), prefix.to_owned());
            tokio::spawn(async move { sending.send_all(conn, &scripts, &prefix).await });
        }
        answer.await.map_err(|_| StoreError::Backend("the acknowledgement was dropped by its sender".into()))?
    }
}

impl Sending {
    /// Sends the waiting acknowledgements, call after call, until none is left.
    async fn send_all(mut self, mut conn: ConnectionManager, scripts: &Scripts, prefix: &str) {
        loop {
            let batch: Vec<Ack> = {
                let mut q = self.acks.lock();
                if q.waiting.is_empty() {
                    q.sending = false;
                    drop(q);
                    self.finished = true;
                    return;
                }
                let n = q.waiting.len().min(MOST);
                q.waiting.drain(..n).collect()
            };
            let mut invocation = scripts.acks.prepare_invoke();
            invocation.arg(prefix);
            for ack in &batch {
                invocation.arg(&ack.id).arg(&ack.worker);
            }
            match invocation.invoke_async::<Vec<i64>>(&mut conn).await {
                Ok(answers) if answers.len() == batch.len() => {
                    for (ack, answer) in batch.into_iter().zip(answers) {
                        let _ = ack.reply.send(Ok(answer == 1));
                    }
                }
                Ok(answers) => {
                    let why = format!("{} answers to {} acknowledgements", answers.len(), batch.len());
                    for ack in batch {
                        let _ = ack.reply.send(Err(StoreError::Corrupt(why.clone())));
                    }
                }
                Err(e) => {
                    let why = e.to_string();
                    for ack in batch {
                        let _ = ack.reply.send(Err(StoreError::Backend(why.clone())));
                    }
                }
            }
        }
    }
}
