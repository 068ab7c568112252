//! Reading `d360 watch`'s endpoints in tests: a plain HTTP GET on loopback, and strict parsers
//! of the OpenMetrics text exposition and of the Prometheus text format 0.0.4 (families
//! declared before their samples, valid names, labels and numbers, no series twice, consistent
//! histograms; OpenMetrics ends with `# EOF`, and 0.0.4 has none, no `# UNIT`, and names a
//! counter family after its sample).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Duration;

/// A plain HTTP/1.1 `GET` on loopback.
pub(crate) fn get(base: &str, path: &str) -> (u16, String) {
    let (status, _, body) = get_with(base, path, "");
    (status, body)
}

/// A `GET` with extra header lines (each ending in `\r\n`): status, headers, body.
pub(crate) fn get_with(base: &str, path: &str, headers: &str) -> (u16, String, String) {
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect to watch");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("headers end");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status code");
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        unchunk(body)
    } else {
        body.to_owned()
    };
    (status, head.to_owned(), body)
}

/// Which text exposition format a parse holds the text to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    OpenMetrics,
    /// The Prometheus text format 0.0.4.
    Prometheus,
}

fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").expect("chunk size");
        let size = usize::from_str_radix(size.trim(), 16).expect("hex chunk size");
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

/// One sample of an exposition.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) value: f64,
}

/// A parsed Prometheus / OpenMetrics text exposition.
pub(crate) struct Exposition {
    pub(crate) text: String,
    /// Family name to type.
    pub(crate) families: BTreeMap<String, String>,
    pub(crate) samples: Vec<Sample>,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        other => other.parse().map_err(|_| format!("`{other}` is not a number")),
    }
}

/// `{a="x",b="y"}` (the braces stripped) into labels; escapes `\\`, `\"`, `\n`.
fn parse_labels(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").ok_or_else(|| format!("no `=\"` in `{rest}`"))?;
        if !valid_name(name) || name.starts_with("__") {
            return Err(format!("bad label name `{name}`"));
        }
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("bad escape {other:?} in `{text}`")),
                },
                Some((index, '"')) => break index,
                Some((_, c)) => value.push(c),
                None => return Err(format!("unterminated label value in `{text}`")),
            }
        };
        if labels.insert(name.to_owned(), value).is_some() {
            return Err(format!("label `{name}` twice in `{text}`"));
        }
        rest = &after[end + 1..];
        rest = match rest.strip_prefix(',') {
            Some(more) if !more.is_empty() => more,
            Some(_) => return Err(format!("trailing comma in `{text}`")),
            None if rest.is_empty() => rest,
            None => return Err(format!("expected `,` before `{rest}`")),
        };
    }
    Ok(labels)
}

/// The sample names a family of `kind` may have.
fn sample_names(family: &str, kind: &str, format: Format) -> Vec<String> {
    match kind {
        "counter" if format == Format::Prometheus => vec![family.to_owned()],
        "counter" => vec![format!("{family}_total"), format!("{family}_created")],
        "histogram" => ["_bucket", "_sum", "_count", "_created"]
            .iter()
            .map(|suffix| format!("{family}{suffix}"))
            .collect(),
        _ => vec![family.to_owned()],
    }
}

impl Exposition {
    /// Parses strictly: every sample after its family's `# TYPE`, valid names, labels and
    /// numbers, no series twice, cumulative histogram buckets ending in `+Inf` equal to the
    /// count, and the text ends with `# EOF`.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        Self::parse_as(text, Format::OpenMetrics)
    }

    /// Parses as strictly in the Prometheus text format 0.0.4: the same rules, except that
    /// there is no `# EOF` (nor `# UNIT`), a counter's samples carry its family's own name, the
    /// types are 0.0.4's (`untyped` rather than `unknown`; no `info`, `stateset`...), and the
    /// text ends with a newline.
    pub(crate) fn parse_prometheus(text: &str) -> Result<Self, String> {
        if !text.ends_with('\n') {
            return Err("the text does not end with a newline".into());
        }
        Self::parse_as(text, Format::Prometheus)
    }

    fn parse_as(text: &str, format: Format) -> Result<Self, String> {
        let types: &[&str] = match format {
            Format::OpenMetrics => &[
                "counter",
                "gauge",
                "histogram",
                "summary",
                "unknown",
                "info",
                "stateset",
                "gaugehistogram",
            ],
            Format::Prometheus => &["counter", "gauge", "histogram", "summary", "untyped"],
        };
        let mut families: BTreeMap<String, String> = BTreeMap::new();
        let mut samples = Vec::new();
        let mut current: Option<(String, String)> = None;
        let mut seen = std::collections::BTreeSet::new();
        let mut ended = false;
        for (number, line) in text.lines().enumerate() {
            let at = |message: String| format!("line {}: {message}: `{line}`", number + 1);
            if ended {
                return Err(at("text after `# EOF`".into()));
            }
            if line == "# EOF" {
                if format == Format::Prometheus {
                    return Err(at("`# EOF` is OpenMetrics, not the Prometheus text format".into()));
                }
                ended = true;
                continue;
            }
            if let Some(comment) = line.strip_prefix("# ") {
                let mut words = comment.splitn(3, ' ');
                let keyword = words.next().unwrap_or_default();
                let family = words.next().ok_or_else(|| at("no metric name".into()))?;
                if !valid_name(family) {
                    return Err(at(format!("bad metric name `{family}`")));
                }
                match keyword {
                    "TYPE" => {
                        let kind = words.next().ok_or_else(|| at("no type".into()))?;
                        if !types.contains(&kind) {
                            return Err(at(format!("unknown type `{kind}`")));
                        }
                        if families.insert(family.to_owned(), kind.to_owned()).is_some() {
                            return Err(at(format!("`{family}` declared twice")));
                        }
                        current = Some((family.to_owned(), kind.to_owned()));
                    }
                    "HELP" => {}
                    "UNIT" if format == Format::OpenMetrics => {}
                    other => return Err(at(format!("unknown comment `{other}`"))),
                }
                continue;
            }
            if line.is_empty() {
                return Err(at("empty line".into()));
            }
            let (series, value) = line.rsplit_once(' ').ok_or_else(|| at("no value".into()))?;
            let value = parse_value(value).map_err(at)?;
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => {
                    let inner = rest.strip_suffix('}').ok_or_else(|| at("no closing `}`".into()))?;
                    (name, parse_labels(inner).map_err(at)?)
                }
                None => (series, BTreeMap::new()),
            };
            if !valid_name(name) {
                return Err(at(format!("bad metric name `{name}`")));
            }
            let (family, kind) = current
                .as_ref()
                .ok_or_else(|| at("a sample before any `# TYPE`".into()))?;
            if !sample_names(family, kind, format).iter().any(|allowed| allowed == name) {
                return Err(at(format!("`{name}` does not belong to the {kind} `{family}`")));
            }
            if !seen.insert(format!("{name}{labels:?}")) {
                return Err(at("the same series twice".into()));
            }
            samples.push(Sample {
                name: name.to_owned(),
                labels,
                value,
            });
        }
        if !ended && format == Format::OpenMetrics {
            return Err("the text does not end with `# EOF`".into());
        }
        let exposition = Self {
            text: text.to_owned(),
            families,
            samples,
        };
        exposition.check_histograms()?;
        Ok(exposition)
    }

    fn check_histograms(&self) -> Result<(), String> {
        for (family, kind) in &self.families {
            if kind != "histogram" {
                continue;
            }
            let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
            for sample in self.samples.iter().filter(|s| s.name == format!("{family}_bucket")) {
                let mut others = sample.labels.clone();
                let le = others
                    .remove("le")
                    .ok_or_else(|| format!("{family}: a bucket without `le`"))?;
                series
                    .entry(format!("{others:?}"))
                    .or_default()
                    .push((parse_value(&le)?, sample.value));
            }
            for (labels, buckets) in series {
                let mut previous = (f64::NEG_INFINITY, 0.0);
                for &(le, count) in &buckets {
                    if le <= previous.0 || count < previous.1 {
                        return Err(format!("{family}{labels}: buckets not increasing"));
                    }
                    previous = (le, count);
                }
                if previous.0 != f64::INFINITY {
                    return Err(format!("{family}{labels}: no +Inf bucket"));
                }
                let total = self
                    .samples
                    .iter()
                    .find(|s| s.name == format!("{family}_count") && format!("{:?}", s.labels) == labels)
                    .ok_or_else(|| format!("{family}{labels}: no _count"))?;
                if (total.value - previous.1).abs() > f64::EPSILON {
                    return Err(format!("{family}{labels}: +Inf bucket differs from _count"));
                }
            }
        }
        Ok(())
    }

    /// The value of the one sample `name` with (at least) these labels.
    pub(crate) fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matching: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| {
                s.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect();
        match matching.as_slice() {
            [one] => Some(one.value),
            [] => None,
            many => panic!("{many:?} all match {name}{labels:?}"),
        }
    }

    /// Names to look metrics up by: every sample name and every family name.
    pub(crate) fn names(&self) -> std::collections::BTreeSet<String> {
        self.samples
            .iter()
            .map(|s| s.name.clone())
            .chain(self.families.keys().cloned())
            .collect()
    }
}

#[test]
fn the_strict_parser_refuses_broken_expositions() {
    let good = "# TYPE a counter\na_total{org=\"x\"} 1\n# EOF\n";
    assert!(Exposition::parse(good).is_ok());
    for bad in [
        "a_total 1\n# EOF\n",
        "# TYPE a counter\na_total{org=\"x\"} 1\n",
        "# TYPE a counter\na{org=\"x\"} 1\n# EOF\n",
        "# TYPE a gauge\na{org=\"x} 1\n# EOF\n",
        "# TYPE a gauge\na{org=\"x\"} one\n# EOF\n",
        "# TYPE a gauge\na 1\na 2\n# EOF\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n# EOF\n",
    ] {
        assert!(Exposition::parse(bad).is_err(), "accepted: {bad}");
    }
}

#[test]
fn the_prometheus_parser_refuses_openmetrics_spellings() {
    let good = "# HELP a_total Runs.\n# TYPE a_total counter\na_total{org=\"x\"} 1\n";
    assert!(Exposition::parse_prometheus(good).is_ok());
    for bad in [
        // The OpenMetrics counter naming: a 0.0.4 reader sees a family without samples.
        "# TYPE a counter\na_total{org=\"x\"} 1\n",
        "# TYPE a_total counter\na_total 1\n# EOF\n",
        "# TYPE a gauge\n# UNIT a seconds\na 1\n",
        "# TYPE a unknown\na 1\n",
        "# TYPE a gauge\na 1",
    ] {
        assert!(Exposition::parse_prometheus(bad).is_err(), "accepted: {bad}");
    }
}
