//! Fault injection: which requests get a 501, a dropped connection or a delay.

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{json, Value};

/// One injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Serve the request normally.
    None,
    /// Answer `501 server exception` without processing the request.
    Error501,
    /// Close the connection before the request is processed.
    DropBefore,
    /// Process the request, then close the connection: the answer is lost.
    DropAfter,
    /// Wait this long, then serve the request normally.
    Delay(Duration),
}

/// Random faults, each with its own rate in `[0, 1]` (they are tried in this order).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultRates {
    /// How often to answer 501.
    pub error_501: f64,
    /// How often to drop the connection before processing.
    pub drop_before: f64,
    /// How often to drop the connection after processing.
    pub drop_after: f64,
    /// How often to delay.
    pub delay: f64,
    /// How long a delay is.
    pub delay_for: Duration,
    /// The seed of the fault generator, for repeatable runs.
    pub seed: u64,
}

impl Default for FaultRates {
    fn default() -> Self {
        FaultRates {
            error_501: 0.0,
            drop_before: 0.0,
            drop_after: 0.0,
            delay: 0.0,
            delay_for: Duration::from_secs(2),
            seed: 0x5eed_c10d,
        }
    }
}

/// Reads a duration: `250ms`, `2s`, `1.5s`, `1m`, or a bare number of milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale_ms) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1_000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        (t, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v * scale_ms <= 86_400_000.0 => {
            Ok(Duration::from_micros((v * scale_ms * 1_000.0) as u64))
        }
        _ => Err(format!(
            "{text:?} is not a duration such as 500ms, 2s or 1m (at most a day)"
        )),
    }
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("{text:?} is not a rate from 0 to 1")),
    }
}

impl FaultRates {
    /// Applies one `KIND=RATE` spec, as `--fault` takes it: `501=0.1`,
    /// `drop-before=0.05`, `drop-after=0.1`, or `delay=RATE:DURATION` (`delay=0.2:500ms`).
    ///
    /// ```
    /// use sendcloud_sandbox::server::FaultRates;
    /// let mut f = FaultRates::default();
    /// f.apply_spec("501=0.1").unwrap();
    /// f.apply_spec("delay=0.5:250ms").unwrap();
    /// assert_eq!(f.error_501, 0.1);
    /// assert_eq!(f.delay_for.as_millis(), 250);
    /// assert!(f.apply_spec("502=0.1").is_err());
    /// ```
    pub fn apply_spec(&mut self, spec: &str) -> Result<(), String> {
        let Some((kind, value)) = spec.split_once('=') else {
            return Err(format!(
                "{spec:?} is not KIND=RATE (kinds: 501, drop-before, drop-after, delay=RATE:DURATION)"
            ));
        };
        match kind.trim() {
            "501" => self.error_501 = parse_rate(value)?,
            "drop-before" => self.drop_before = parse_rate(value)?,
            "drop-after" => self.drop_after = parse_rate(value)?,
            "delay" => {
                let Some((rate, duration)) = value.split_once(':') else {
                    return Err(format!(
                        "{spec:?}: a delay is delay=RATE:DURATION, e.g. delay=0.1:2s"
                    ));
                };
                self.delay = parse_rate(rate)?;
                self.delay_for = parse_duration(duration)?;
            }
            other => {
                return Err(format!(
                    "unknown fault kind {other:?} (kinds: 501, drop-before, drop-after, delay)"
                ))
            }
        }
        if self.error_501 + self.drop_before + self.drop_after + self.delay > 1.0 + 1e-9 {
            return Err("the fault rates add up to more than 1".into());
        }
        Ok(())
    }

    /// The rates as JSON: `{"501","drop-before","drop-after","delay","delay_ms","seed"}`.
    pub fn to_json_value(&self) -> Value {
        json!({
            "501": self.error_501,
            "drop-before": self.drop_before,
            "drop-after": self.drop_after,
            "delay": self.delay,
            "delay_ms": u64::try_from(self.delay_for.as_millis()).unwrap_or(u64::MAX),
            "seed": self.seed,
        })
    }

    /// Changes the rates named in a JSON object with the keys of
    /// [`FaultRates::to_json_value`]; the others stay. Nothing changes on an error.
    pub fn apply_json(&mut self, value: &Value) -> Result<(), String> {
        let Some(obj) = value.as_object() else {
            return Err("the faults must be a JSON object".into());
        };
        let mut next = *self;
        for (k, v) in obj {
            let rate = || -> Result<f64, String> {
                v.as_f64()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| format!("{k} must be a rate from 0 to 1"))
            };
            match k.as_str() {
                "501" => next.error_501 = rate()?,
                "drop-before" => next.drop_before = rate()?,
                "drop-after" => next.drop_after = rate()?,
                "delay" => next.delay = rate()?,
                "delay_ms" => {
                    next.delay_for = Duration::from_millis(
                        v.as_u64()
                            .filter(|ms| *ms <= 86_400_000)
                            .ok_or("delay_ms must be a number of milliseconds up to a day")?,
                    )
                }
                "seed" => next.seed = v.as_u64().ok_or("seed must be a whole number")?,
                other => return Err(format!("unknown fault {other:?}")),
            }
        }
        if next.error_501 + next.drop_before + next.drop_after + next.delay > 1.0 + 1e-9 {
            return Err("the fault rates add up to more than 1".into());
        }
        *self = next;
        Ok(())
    }
}

/// How many faults of each kind were injected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// API requests seen.
    pub requests: u64,
    /// 501 answers.
    pub error_501: u64,
    /// Connections dropped before processing.
    pub drop_before: u64,
    /// Connections dropped after processing.
    pub drop_after: u64,
    /// Delayed requests.
    pub delay: u64,
}

impl FaultCounts {
    /// Requests hit by any fault.
    pub fn faulted(&self) -> u64 {
        self.error_501 + self.drop_before + self.drop_after + self.delay
    }

    /// The counts as JSON.
    pub fn to_json_value(&self) -> Value {
        json!({
            "requests": self.requests,
            "501": self.error_501,
            "drop-before": self.drop_before,
            "drop-after": self.drop_after,
            "delay": self.delay,
        })
    }
}

pub(crate) struct FaultState {
    pub(crate) script: VecDeque<Fault>,
    pub(crate) rates: FaultRates,
    pub(crate) rng: u64,
    pub(crate) counts: FaultCounts,
}

impl FaultState {
    pub(crate) fn new(rates: FaultRates) -> Self {
        FaultState {
            script: VecDeque::new(),
            rates,
            rng: rates.seed | 1,
            counts: FaultCounts::default(),
        }
    }

    /// New rates, and the generator reseeded.
    pub(crate) fn set_rates(&mut self, rates: FaultRates) {
        self.rng = rates.seed | 1;
        self.rates = rates;
    }

    fn next_random(&mut self) -> f64 {
        // xorshift64*: plenty for choosing faults.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn choose(&mut self) -> Fault {
        self.counts.requests += 1;
        let fault = match self.script.pop_front() {
            Some(f) => f,
            None => {
                let r = self.rates;
                let x = self.next_random();
                let edges = [
                    (r.error_501, Fault::Error501),
                    (r.drop_before, Fault::DropBefore),
                    (r.drop_after, Fault::DropAfter),
                    (r.delay, Fault::Delay(r.delay_for)),
                ];
                let mut edge = 0.0;
                let mut chosen = Fault::None;
                for (rate, fault) in edges {
                    edge += rate;
                    if x < edge {
                        chosen = fault;
                        break;
                    }
                }
                chosen
            }
        };
        match fault {
            Fault::None => {}
            Fault::Error501 => self.counts.error_501 += 1,
            Fault::DropBefore => self.counts.drop_before += 1,
            Fault::DropAfter => self.counts.drop_after += 1,
            Fault::Delay(_) => self.counts.delay += 1,
        }
        fault
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1_500)));
        assert_eq!(parse_duration("250"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1e300").is_err());
        let mut f = FaultRates::default();
        assert!(f.apply_spec("drop-after=0.1").is_ok());
        assert!(f.apply_spec("drop-before=1.5").is_err());
        assert!(
            f.apply_spec("501=0.95").is_err(),
            "sums above 1 are refused"
        );
        assert!(f.apply_spec("delay=0.1").is_err());
        assert!(f.apply_spec("nonsense").is_err());
        assert!(f.apply_json(&json!({"501": 0.2, "delay_ms": 10})).is_ok());
        assert_eq!(f.error_501, 0.2);
        assert!(f.apply_json(&json!({"501": 2})).is_err());
        assert_eq!(f.error_501, 0.2, "unchanged on error");
    }

    #[test]
    fn rates_are_roughly_kept() {
        let mut s = FaultState::new(FaultRates {
            error_501: 0.1,
            drop_after: 0.1,
            ..FaultRates::default()
        });
        for _ in 0..10_000 {
            s.choose();
        }
        assert!((800..1_200).contains(&s.counts.error_501));
        assert!((800..1_200).contains(&s.counts.drop_after));
        assert_eq!(s.counts.drop_before, 0);
    }
}
