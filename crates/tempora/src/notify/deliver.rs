//! Delivering one notice: the built-in `tempora.notify` task, which POSTs
//! it to a webhook (signed when a secret is set) or runs a program with it
//! on its standard input, and says in its result what the receiver
//! answered.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Channel, Delivery, Notice};
#[cfg(feature = "webhooks")]
use crate::clock::{Clock, SystemClock};
use crate::task::{CommandArgs, JobContext, RunDetail, RunError};

/// The exit status of a delivery that failed for a reason that may pass
/// (an HTTP 5xx, 408 or 429 answer, no connection, a time-out), and that
/// a command notifier exits with to be tried again: 75, `EX_TEMPFAIL` of
/// `sysexits.h`. Only these failures are retried.
pub const TRANSIENT_EXIT_STATUS: i32 = 75;

/// The exit status recorded for a delivery the receiver refused for good
/// (an HTTP 4xx other than 408 and 429, or a 3xx): 65, `EX_DATAERR`.
const REFUSED_EXIT_STATUS: i32 = 65;

/// The header carrying a webhook's signature: `sha256=` and the hex
/// HMAC-SHA256 of `{timestamp}.{body}`, keyed by the secret.
pub const SIGNATURE_HEADER: &str = "Tempora-Signature";

/// The header carrying the time a webhook was sent, in Unix seconds: part
/// of what is signed, so that a receiver can refuse an old request
/// replayed.
pub const TIMESTAMP_HEADER: &str = "Tempora-Timestamp";

/// The header carrying the notice's id, the same for each attempt of it.
pub const NOTICE_ID_HEADER: &str = "Tempora-Notice-Id";

/// The header carrying the delivery attempt (1, then 2 and on).
pub const ATTEMPT_HEADER: &str = "Tempora-Delivery-Attempt";

/// How much of a refusing receiver's answer the delivery record keeps.
#[cfg(feature = "webhooks")]
const ANSWER_BYTES: usize = 512;

/// The signature header's value for `body` sent at `timestamp` (Unix
/// seconds), signed with `secret`: `sha256=` and the hex HMAC-SHA256 of
/// the timestamp, a `.` and the body.
///
/// ```
/// let value = tempora::notify::signature("s3cret", 1767225600, br#"{"kind":"failure"}"#);
/// assert!(value.starts_with("sha256="));
/// assert_eq!(value.len(), "sha256=".len() + 64);
/// ```
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    // OK because HMAC takes a key of any length.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// True when `signature_header` (the [`SIGNATURE_HEADER`] value) signs
/// `body` sent at `timestamp` (the [`TIMESTAMP_HEADER`] value) with
/// `secret`, compared in constant time, and `timestamp` is within
/// `tolerance_secs` of `now` (both Unix seconds): what a receiver checks.
///
/// ```
/// use tempora::notify::{signature, verify_signature};
///
/// let body = br#"{"kind":"failure","job":"backup"}"#;
/// let header = signature("s3cret", 1767225600, body);
/// assert!(verify_signature("s3cret", "1767225600", body, &header, 1767225630, 300));
/// assert!(!verify_signature("other", "1767225600", body, &header, 1767225630, 300));
/// // Replayed an hour later: refused.
/// assert!(!verify_signature("s3cret", "1767225600", body, &header, 1767229200, 300));
/// ```
pub fn verify_signature(
    secret: &str,
    timestamp: &str,
    body: &[u8],
    signature_header: &str,
    now: i64,
    tolerance_secs: i64,
) -> bool {
    use hmac::{Hmac, Mac};
    let Ok(sent) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now - sent).abs() > tolerance_secs {
        return false;
    }
    let Some(Ok(given)) = signature_header
        .trim()
        .strip_prefix("sha256=")
        .map(hex::decode)
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(sent.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// What a delivery returns when it went through: what its record keeps.
#[derive(Debug, Serialize, Deserialize)]
struct Delivered {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exit_status: Option<i32>,
    output: String,
}

/// What a successful delivery's return value tells its record.
pub(crate) fn success_detail(value: &serde_json::Value) -> RunDetail {
    match Delivered::deserialize(value) {
        Ok(delivered) => {
            let detail = RunDetail::default().output(delivered.output);
            match delivered.exit_status {
                Some(status) => detail.exit_status(status),
                None => detail,
            }
        }
        Err(_) => RunDetail::default(),
    }
}

/// The `tempora.notify` task: delivers `args` (a [`Delivery`]).
pub(crate) async fn deliver(
    context: JobContext,
    args: serde_json::Value,
) -> Result<serde_json::Value, RunError> {
    let delivery: Delivery = serde_json::from_value(args)
        .map_err(|error| RunError::new(format!("args: not a notice delivery: {error}")))?;
    let delivered = match &delivery.to {
        Channel::Webhook {
            url,
            secret,
            timeout,
        } => post(&context, url, secret.as_deref(), *timeout, &delivery.notice).await?,
        Channel::Command { command, timeout } => {
            run_command(context, command, *timeout, &delivery.notice).await?
        }
    };
    serde_json::to_value(delivered)
        .map_err(|error| RunError::new(format!("return value: cannot be serialized: {error}")))
}

/// A failed delivery, with the exit status its record keeps.
fn failed(message: String, exit_status: i32) -> RunError {
    RunError::new(message.clone()).with_detail(
        RunDetail::default()
            .exit_status(exit_status)
            .output(message),
    )
}

/// The client every webhook goes through, made once.
#[cfg(feature = "webhooks")]
fn client() -> Result<&'static reqwest::Client, RunError> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client);
    }
    let client = reqwest::Client::builder()
        .user_agent(concat!("tempora/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| {
            failed(
                format!("webhook: cannot make an HTTP client: {error}"),
                TRANSIENT_EXIT_STATUS,
            )
        })?;
    Ok(CLIENT.get_or_init(|| client))
}

/// POSTs `notice` to `url`.
#[cfg(feature = "webhooks")]
async fn post(
    context: &JobContext,
    url: &str,
    secret: Option<&str>,
    timeout: jiff::SignedDuration,
    notice: &Notice,
) -> Result<Delivered, RunError> {
    let body = serde_json::to_vec(notice)
        .map_err(|error| RunError::new(format!("notice: cannot be serialized: {error}")))?;
    let mut request = client()?
        .post(url)
        .timeout(timeout.unsigned_abs())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(NOTICE_ID_HEADER, &notice.id)
        .header(ATTEMPT_HEADER, context.attempt().to_string());
    if let Some(secret) = secret {
        // The receiver compares this with its own wall clock: the system's
        // time, whatever the scheduler's clock says.
        let timestamp = SystemClock.now().as_second();
        request = request
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature(secret, timestamp, &body));
    }
    let sent = request.body(body).send();
    let response = tokio::select! {
        response = sent => response,
        () = context.cancelled() => {
            return Err(failed(format!("webhook {url}: cancelled before an answer"), TRANSIENT_EXIT_STATUS));
        }
    };
    let response = match response {
        Ok(response) => response,
        Err(error) => {
            let why = if error.is_timeout() {
                format!("no answer within {timeout:#}")
            } else if error.is_connect() {
                "cannot connect".to_owned()
            } else {
                "request failed".to_owned()
            };
            return Err(failed(
                format!("webhook {url}: {why}: {}", error_chain(&error)),
                TRANSIENT_EXIT_STATUS,
            ));
        }
    };
    let status = response.status();
    if status.is_success() {
        return Ok(Delivered {
            exit_status: None,
            output: format!("webhook {url}: HTTP {status}"),
        });
    }
    let answer = response.text().await.unwrap_or_default();
    let answer = head(&answer, ANSWER_BYTES);
    let transient = status.is_server_error()
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
    let message = if answer.is_empty() {
        format!("webhook {url}: HTTP {status}")
    } else {
        format!("webhook {url}: HTTP {status}: {answer}")
    };
    Err(failed(
        message,
        if transient {
            TRANSIENT_EXIT_STATUS
        } else {
            REFUSED_EXIT_STATUS
        },
    ))
}

/// Without the `webhooks` feature: a webhook cannot be sent.
#[cfg(not(feature = "webhooks"))]
async fn post(
    _context: &JobContext,
    url: &str,
    _secret: Option<&str>,
    _timeout: jiff::SignedDuration,
    _notice: &Notice,
) -> Result<Delivered, RunError> {
    Err(failed(
        format!("webhook {url}: tempora was built without its `webhooks` feature"),
        REFUSED_EXIT_STATUS,
    ))
}

/// An error and its sources, on one line.
#[cfg(feature = "webhooks")]
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The first `limit` bytes of `text`, cut at a character.
#[cfg(feature = "webhooks")]
fn head(text: &str, limit: usize) -> &str {
    let text = text.trim();
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Runs `command` with `notice` on its standard input (through `sh`, which
/// pipes it from the environment) and in its environment.
async fn run_command(
    context: JobContext,
    command: &[String],
    timeout: jiff::SignedDuration,
    notice: &Notice,
) -> Result<Delivered, RunError> {
    let json = serde_json::to_string(notice)
        .map_err(|error| RunError::new(format!("notice: cannot be serialized: {error}")))?;
    let mut env = BTreeMap::new();
    env.insert("TEMPORA_NOTICE".to_owned(), json);
    env.insert(
        "TEMPORA_NOTICE_KIND".to_owned(),
        notice.kind.as_str().to_owned(),
    );
    env.insert("TEMPORA_NOTICE_JOB".to_owned(), notice.job.clone());
    env.insert("TEMPORA_NOTICE_ID".to_owned(), notice.id.clone());
    env.insert("TEMPORA_NOTICE_NODE".to_owned(), notice.node.clone());
    let optional = [
        (
            "TEMPORA_NOTICE_SCHEDULED_TIME",
            notice.scheduled_time.map(|time| time.to_string()),
        ),
        ("TEMPORA_NOTICE_OUTCOME", notice.outcome.clone()),
        (
            "TEMPORA_NOTICE_EXIT_STATUS",
            notice.exit_status.map(|status| status.to_string()),
        ),
        (
            "TEMPORA_NOTICE_ATTEMPT",
            notice.attempt.map(|attempt| attempt.to_string()),
        ),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            env.insert(name.to_owned(), value);
        }
    }
    // `sh -c SCRIPT NAME PROGRAM ARGS...`: the notice on the program's
    // standard input, the program's exit status the run's.
    let mut args = vec![
        "-c".to_owned(),
        "printf '%s\\n' \"$TEMPORA_NOTICE\" | \"$@\"".to_owned(),
        "tempora-notify".to_owned(),
    ];
    args.extend(command.iter().cloned());
    let mut command_args = CommandArgs::new("sh").args(args);
    command_args.env = env;
    command_args.timeout = Some(timeout);
    match crate::task::run_command(context, command_args).await {
        Ok(output) => {
            let detail = crate::task::command_detail(&output);
            Ok(Delivered {
                exit_status: detail.exit_status,
                output: detail.output.unwrap_or_default(),
            })
        }
        Err(error) => Err(error),
    }
}
