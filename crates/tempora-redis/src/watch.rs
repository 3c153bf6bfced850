//! Change notices over Redis pub/sub: [`ChangeNotices::watch`](tempora::store::ChangeNotices::watch).
//!
//! The scripts that can make a job due sooner (add, update, release)
//! `PUBLISH` on the channel `{prefix}changes` the job's new next run time,
//! in microseconds since the Unix epoch. [`ChangeNotices::watch`](tempora::store::ChangeNotices::watch) opens a
//! connection of its own, subscribes, and hands the listening to a task
//! that forwards each message to the scheduler's [`ChangeFeed`] and
//! reconnects, with backoff, when the connection drops.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{PubSubSink, PubSubStream};
use tempora::Result;
use tempora::jiff::Timestamp;
use tempora::store::backend::store_error;
use tempora::store::{ChangeFeed, ChangeNotices, ChangeSender};
use tokio_stream::StreamExt;

use crate::RedisStore;

/// The first wait before connecting again after the connection dropped.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// The longest wait between two attempts to connect again.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How often the listener looks whether the scheduler still reads its
/// feed.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// How often the listener pings the server, to find a connection that died
/// without being closed (a host that vanished).
const PING_EVERY: Duration = Duration::from_secs(15);

/// What the listening task needs: how to connect, and what to log.
struct Listener {
    client: redis::Client,
    channel: String,
    store: String,
    url: String,
    connection_timeout: Duration,
    response_timeout: Duration,
}

/// Why forwarding stopped.
enum Stopped {
    /// The scheduler dropped its feed.
    Closed,
    /// The connection dropped or stopped answering.
    Lost(String),
}

impl Listener {
    /// A new connection, subscribed to the channel.
    async fn subscribe(&self) -> Result<(PubSubSink, PubSubStream)> {
        let failed = |error: Option<redis::RedisError>| {
            let cause = if error.is_some() { "" } else { ": timed out" };
            store_error(
                &self.store,
                format_args!(
                    "listen to change notices on channel {:?} (redis at {}){cause}",
                    self.channel, self.url
                ),
                error.map(|error| Box::new(error) as Box<dyn std::error::Error + Send + Sync>),
            )
        };
        let connect = async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub.subscribe(&self.channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        let budget = self
            .connection_timeout
            .saturating_add(self.response_timeout);
        match tokio::time::timeout(budget, connect).await {
            Ok(Ok(pubsub)) => Ok(pubsub.split()),
            Ok(Err(error)) => Err(failed(Some(error))),
            Err(_) => Err(failed(None)),
        }
    }

    /// Forwards notices until the scheduler drops its feed, connecting
    /// again whenever the connection drops.
    async fn run(self, sender: ChangeSender, mut sink: PubSubSink, mut stream: PubSubStream) {
        loop {
            let reason = match self.forward(&sender, &mut sink, &mut stream).await {
                Stopped::Closed => return,
                Stopped::Lost(reason) => reason,
            };
            tracing::warn!(
                store = %self.store,
                channel = %self.channel,
                reason = %reason,
                "the connection listening to change notices dropped; connecting again"
            );
            let mut backoff = FIRST_BACKOFF;
            loop {
                tokio::time::sleep(backoff).await;
                if sender.is_closed() {
                    return;
                }
                match self.subscribe().await {
                    Ok((new_sink, new_stream)) => {
                        sink = new_sink;
                        stream = new_stream;
                        break;
                    }
                    Err(error) => {
                        tracing::debug!(
                            store = %self.store,
                            %error,
                            retry_in = ?backoff.saturating_mul(2).min(MAX_BACKOFF),
                            "cannot listen to change notices yet"
                        );
                        backoff = backoff.saturating_mul(2).min(MAX_BACKOFF);
                    }
                }
            }
            tracing::info!(
                store = %self.store,
                channel = %self.channel,
                "listening to change notices again"
            );
            // Notices sent while the connection was down are lost: the
            // scheduler must look at the store again.
            sender.notify(None);
        }
    }

    /// Forwards notices until the feed is dropped or the connection is.
    async fn forward(
        &self,
        sender: &ChangeSender,
        sink: &mut PubSubSink,
        stream: &mut PubSubStream,
    ) -> Stopped {
        let mut check = tokio::time::interval(CHECK_EVERY);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Both fire at once first; skip that.
        check.tick().await;
        ping.tick().await;
        loop {
            tokio::select! {
                message = stream.next() => match message {
                    Some(message) => sender.notify(notice(message.get_payload_bytes())),
                    None => return Stopped::Lost("the server closed the connection".to_owned()),
                },
                _ = check.tick() => {
                    if sender.is_closed() {
                        return Stopped::Closed;
                    }
                }
                _ = ping.tick() => {
                    match tokio::time::timeout(self.response_timeout, sink.ping::<redis::Value>()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(error)) => return Stopped::Lost(error.to_string()),
                        Err(_) => return Stopped::Lost(format!(
                            "no answer to a ping within {:?}",
                            self.response_timeout
                        )),
                    }
                }
            }
        }
    }
}

/// The next run time a notice carries (microseconds since the Unix epoch),
/// or `None` when it does not read as one.
fn notice(payload: &[u8]) -> Option<Timestamp> {
    std::str::from_utf8(payload)
        .ok()?
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|micros| Timestamp::from_microsecond(micros).ok())
}

#[async_trait]
impl ChangeNotices for RedisStore {
    /// Subscribes to the channel of change notices on a connection of its
    /// own and spawns the task that forwards them.
    async fn watch(&self) -> Result<ChangeFeed> {
        let listener = Listener {
            client: self.inner.client.clone(),
            channel: self.inner.keys.changes.clone(),
            store: self.inner.name.clone(),
            url: self.inner.url.clone(),
            connection_timeout: self.inner.connection_timeout,
            response_timeout: self.inner.response_timeout,
        };
        let (sink, stream) = listener.subscribe().await?;
        let (sender, feed) = ChangeFeed::channel();
        tokio::spawn(listener.run(sender, sink, stream));
        Ok(feed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_read_microseconds_or_nothing() {
        let at: Timestamp = "2026-01-01T00:00:00.123456Z".parse().unwrap();
        assert_eq!(notice(at.as_microsecond().to_string().as_bytes()), Some(at));
        assert_eq!(notice(b"-1"), Timestamp::from_microsecond(-1).ok());
        assert_eq!(notice(b"soon"), None);
        assert_eq!(notice(b"1e15"), None);
        assert_eq!(notice(&[0xff, 0xfe]), None);
        assert_eq!(notice(i64::MAX.to_string().as_bytes()), None);
    }
}
