//! The output protocol of docs/workloads.md: one JSON object per result, on one
//! line, with the keys `impl`, `workload`, `value`, `unit` and `n` first and
//! any extra keys (`error`, `check`, `wraps`, …) after them.

use std::fmt;

use serde_json::{Map, Value};

use crate::Error;

/// The five keys every line has, in the order they are written.
const REQUIRED: [&str; 5] = ["impl", "workload", "value", "unit", "n"];

/// One result line.
///
/// ```
/// use tempora_bench::output::Line;
///
/// let line = Line::new("tempora-0.1.0", "W1-A", "ns/op", 1000).value(42.5).with("wraps", 0);
/// assert_eq!(
///     line.to_string(),
///     r#"{"impl":"tempora-0.1.0","workload":"W1-A","value":42.5,"unit":"ns/op","n":1000,"wraps":0}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// `<name>-<version>` of the implementation measured, e.g. `cron-0.17.0`.
    pub impl_name: String,
    /// The workload id, e.g. `W1-A` or `W3-p99`.
    pub workload: String,
    /// The result; `None` (JSON `null`) when the run produced no valid one.
    pub value: Option<f64>,
    /// The unit of `value`: `ns/op`, `jobs/s`, `ms`, `s`, `bytes/job` or `cpu_s`.
    pub unit: String,
    /// The work size.
    pub n: u64,
    /// Extra keys in the order they are written, after the required ones.
    pub extra: Vec<(String, Value)>,
}

impl Line {
    /// A line without a value yet (`null`) and without extra keys.
    ///
    /// ```
    /// let line = tempora_bench::output::Line::new("x-1", "W5", "bytes/job", 100_000);
    /// assert_eq!(line.value, None);
    /// ```
    pub fn new(
        impl_name: impl Into<String>,
        workload: impl Into<String>,
        unit: impl Into<String>,
        n: u64,
    ) -> Line {
        Line {
            impl_name: impl_name.into(),
            workload: workload.into(),
            value: None,
            unit: unit.into(),
            n,
            extra: Vec::new(),
        }
    }

    /// Sets the value. A value that is not finite is written as `null`.
    ///
    /// ```
    /// let line = tempora_bench::output::Line::new("x-1", "W6", "cpu_s", 1).value(0.5);
    /// assert_eq!(line.value, Some(0.5));
    /// ```
    pub fn value(mut self, value: f64) -> Line {
        self.value = Some(value);
        self
    }

    /// Sets the extra key `key`, replacing an earlier value of it.
    ///
    /// ```
    /// let line = tempora_bench::output::Line::new("x-1", "W6", "cpu_s", 1).with("wall_s", 10.0);
    /// assert_eq!(line.get("wall_s"), Some(&serde_json::json!(10.0)));
    /// ```
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Line {
        self.set(key, value);
        self
    }

    /// Sets the value to `null` and the extra key `error` to `message`.
    ///
    /// ```
    /// let line = tempora_bench::output::Line::new("x-1", "W6", "cpu_s", 1).value(1.0).error("no");
    /// assert_eq!(line.value, None);
    /// assert_eq!(line.get("error"), Some(&serde_json::json!("no")));
    /// ```
    pub fn error(mut self, message: impl Into<String>) -> Line {
        self.value = None;
        self.set("error", message.into());
        self
    }

    /// Sets the extra key `key` in place, replacing an earlier value of it.
    ///
    /// ```
    /// let mut line = tempora_bench::output::Line::new("x-1", "W6", "cpu_s", 1);
    /// line.set("runs", 5);
    /// assert_eq!(line.get("runs"), Some(&serde_json::json!(5)));
    /// ```
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        let key = key.into();
        let value = value.into();
        match self.extra.iter_mut().find(|(given, _)| *given == key) {
            Some(slot) => slot.1 = value,
            None => self.extra.push((key, value)),
        }
    }

    /// The extra key `key`, if the line has it.
    ///
    /// ```
    /// let line = tempora_bench::output::Line::new("x-1", "W6", "cpu_s", 1);
    /// assert_eq!(line.get("error"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.extra
            .iter()
            .find(|(given, _)| given == key)
            .map(|(_, value)| value)
    }

    /// Reads a line that [`Display`](fmt::Display) wrote (or any JSON object
    /// with the required keys). Extra keys come back sorted by name.
    ///
    /// # Errors
    ///
    /// An error when `text` is not a JSON object, or a required key is
    /// missing or of the wrong type.
    ///
    /// ```
    /// use tempora_bench::output::Line;
    ///
    /// let line = Line::new("x-1", "W1-A", "ns/op", 10).value(3.0).with("check", "2026");
    /// assert_eq!(Line::parse(&line.to_string())?, line);
    /// assert!(Line::parse(r#"{"impl": "x-1"}"#).is_err());
    /// # Ok::<(), tempora_bench::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Line, Error> {
        let mut object: Map<String, Value> = serde_json::from_str(text)
            .map_err(|error| Error::run(format!("{text:?} is not a JSON object: {error}")))?;
        let mut take_str = |key: &str| match object.remove(key) {
            Some(Value::String(value)) => Ok(value),
            _ => Err(Error::run(format!("{text:?}: `{key}` is not a string"))),
        };
        let impl_name = take_str("impl")?;
        let workload = take_str("workload")?;
        let unit = take_str("unit")?;
        let value = match object.remove("value") {
            Some(Value::Null) => None,
            Some(Value::Number(number)) => number.as_f64(),
            _ => {
                return Err(Error::run(format!(
                    "{text:?}: `value` is neither a number nor null"
                )));
            }
        };
        let n = object
            .remove("n")
            .and_then(|n| n.as_u64())
            .ok_or_else(|| Error::run(format!("{text:?}: `n` is not a whole number")))?;
        Ok(Line {
            impl_name,
            workload,
            value,
            unit,
            n,
            extra: object.into_iter().collect(),
        })
    }
}

/// Writes the line as one compact JSON object, required keys first.
impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self
            .value
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number);
        let required = [
            Value::from(self.impl_name.as_str()),
            Value::from(self.workload.as_str()),
            value,
            Value::from(self.unit.as_str()),
            Value::from(self.n),
        ];
        let pairs = REQUIRED.iter().zip(&required).map(|(k, v)| (*k, v)).chain(
            self.extra
                .iter()
                .filter(|(key, _)| !REQUIRED.contains(&key.as_str()))
                .map(|(k, v)| (k.as_str(), v)),
        );
        f.write_str("{")?;
        for (index, (key, value)) in pairs.enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}:{value}", Value::from(key))?;
        }
        f.write_str("}")
    }
}
