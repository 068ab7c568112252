//! The closed sets of values d360 declares and sends: a connection's method, a data lake
//! object's category, a field's type, a data stream's refresh mode, frequency and day of the
//! week. Each is defined once, here, and used by the manifest (strict: a manifest may only
//! hold these values, and its JSON Schema lists them), by the model and by the wire shapes.
//!
//! Reading the org is tolerant: what it answers is a [`Reported`] value, either one of ours
//! ([`Reported::Known`]) or the text it sent ([`Reported::Unknown`]), matched by exact spelling
//! only, so a value d360 does not know is neither refused nor mistaken for a near one (the
//! spec's examples answer `HOURLY`, `BATCH`, `DATETIME`; an org may report categories such as
//! `Directory_Table`). Writers send known values only: [`Reported::to_known`] refuses the rest.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A closed set of API values, each spelled as its variant's name (which serde uses too).
pub trait Word: Copy + Eq + fmt::Debug + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// What the values are, in words ("data lake object category").
    const WHAT: &'static str;

    /// The value's spelling in manifests and on the wire.
    fn as_str(self) -> &'static str;

    /// The value spelled exactly `name`, if there is one.
    #[must_use]
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.as_str() == name)
    }
}

/// Defines word enums: unit variants, serde and JSON Schema from the derives, and [`Word`].
macro_rules! words {
    ($(
        $(#[$meta:meta])*
        enum $name:ident ($what:literal) { $($(#[$variant_meta:meta])* $variant:ident),* $(,)? }
    )*) => {
        $(
            #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
            $(#[$meta])*
            pub enum $name {
                $($(#[$variant_meta])* $variant,)*
            }

            impl $name {
                /// The value's spelling in manifests and on the wire.
                #[must_use]
                pub fn as_str(self) -> &'static str {
                    match self {
                        $($name::$variant => stringify!($variant),)*
                    }
                }
            }

            impl Word for $name {
                const ALL: &'static [Self] = &[$($name::$variant),*];
                const WHAT: &'static str = $what;

                fn as_str(self) -> &'static str {
                    $name::as_str(self)
                }
            }

            impl fmt::Display for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(self.as_str())
                }
            }
        )*
    };
}

// The manifest's JSON Schemas are generated from these types: their doc comments become the
// schemas' descriptions, so the types without one are documented in plain comments.
words! {
    /// Whether data flows into Data 360 (`Ingress`, the API's default) or out of it (`Egress`).
    #[schemars(rename = "MethodSpec", description = "Connection direction.")]
    enum Method ("method") {
        Ingress,
        Egress,
    }

    /// DLO category.
    enum Category ("data lake object category") {
        Profile,
        /// Needs `eventTimeField`.
        Engagement,
        Other,
    }

    /// A field's data type.
    enum FieldType ("field type") {
        Text,
        Number,
        Date,
        DateTime,
        Boolean,
        Email,
        Phone,
        Url,
        Percent,
        Currency,
    }

    // How a refresh writes into the data lake object (`refreshConfig.refreshMode`).
    #[expect(non_camel_case_types, reason = "the API's own spelling")]
    enum RefreshMode ("refresh mode") {
        UPSERT,
        TOTAL_REPLACE,
        INCREMENTAL,
        REPLACE,
        NEAR_REAL_TIME_INCREMENTAL,
        PARTIAL_UPDATE,
    }

    // How often a stream refreshes (`refreshConfig.frequency.frequencyType`).
    enum FrequencyType ("refresh frequency") {
        Daily,
        Hourly,
        Minutely,
        Weekly,
        Monthly,
        None,
    }

    // The day a weekly refresh runs (`refreshConfig.frequency.refreshDayOfWeek`).
    enum Weekday ("day of the week") {
        Monday,
        Tuesday,
        Wednesday,
        Thursday,
        Friday,
        Saturday,
        Sunday,
    }
}

/// A value as the org (or a client of the emulator) sent it: one d360 knows, or the text it
/// does not know, kept verbatim. It reads and writes as the bare string. Build unknown values
/// with [`Reported::read`], which turns a known spelling into `Known`, so that equal text is
/// always an equal value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reported<T> {
    Known(T),
    Unknown(String),
}

impl<T: Word> Reported<T> {
    /// Reads `text`: the known value spelled exactly so, else the text as unknown.
    #[must_use]
    pub fn read(text: &str) -> Self {
        T::from_name(text).map_or_else(|| Reported::Unknown(text.to_owned()), Reported::Known)
    }

    /// The value's spelling, known or not.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Reported::Known(value) => value.as_str(),
            Reported::Unknown(text) => text,
        }
    }

    /// The known value, if it is one.
    #[must_use]
    pub fn known(&self) -> Option<T> {
        match self {
            Reported::Known(value) => Some(*value),
            Reported::Unknown(_) => None,
        }
    }

    /// The known value, or why this value cannot be sent or written in a manifest.
    pub fn to_known(&self) -> Result<T, UnknownValue> {
        self.known().ok_or_else(|| UnknownValue {
            what: T::WHAT,
            value: self.as_str().to_owned(),
        })
    }

    /// Whether the value is the empty text (an answer that left it out).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }
}

/// What an answer that leaves the value out reads as: the empty unknown value, which equals no
/// known value, is never sent ([`Reported::to_known`] refuses it) and is skipped where the
/// field is optional.
impl<T> Default for Reported<T> {
    fn default() -> Self {
        Reported::Unknown(String::new())
    }
}

impl<T> From<T> for Reported<T> {
    fn from(value: T) -> Self {
        Reported::Known(value)
    }
}

impl<T: Word> fmt::Display for Reported<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<T: Word> PartialEq<str> for Reported<T> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<T: Word> PartialEq<&str> for Reported<T> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl<T: Word> Serialize for Reported<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de, T: Word> Deserialize<'de> for Reported<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Reported::read(&text))
    }
}

/// A value d360 does not know, where only known values may go (a request body, a manifest).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} `{value}` is not one d360 knows")]
pub struct UnknownValue {
    /// What the value is ("field type").
    pub what: &'static str,
    /// The text as reported.
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn spelled_as_serde_spells_them<T: Word + Serialize + for<'de> Deserialize<'de>>() {
        for value in T::ALL {
            let text = serde_json::to_value(value).expect("a unit variant serialises");
            assert_eq!(text, serde_json::Value::from(value.as_str()));
            assert_eq!(serde_json::from_value::<T>(text).ok(), Some(*value));
            assert_eq!(T::from_name(value.as_str()), Some(*value));
            assert_eq!(Reported::<T>::read(value.as_str()), Reported::Known(*value));
        }
        assert_eq!(T::from_name("not a value"), None);
    }

    #[test]
    fn every_word_is_spelled_as_serde_spells_it() {
        spelled_as_serde_spells_them::<Method>();
        spelled_as_serde_spells_them::<Category>();
        spelled_as_serde_spells_them::<FieldType>();
        spelled_as_serde_spells_them::<RefreshMode>();
        spelled_as_serde_spells_them::<FrequencyType>();
        spelled_as_serde_spells_them::<Weekday>();
    }

    #[test]
    fn unknown_values_are_kept_verbatim_not_matched_to_a_near_one() {
        let read = |text: &str| serde_json::from_value::<Reported<FrequencyType>>(text.into()).expect("any text reads");
        assert_eq!(read("Hourly"), Reported::Known(FrequencyType::Hourly));
        assert_eq!(read("HOURLY"), Reported::Unknown("HOURLY".to_owned()));
        assert_eq!(read("BATCH").as_str(), "BATCH");
        assert_eq!(serde_json::to_value(read("BATCH")).expect("serialises"), "BATCH");
        assert_eq!(
            read("BATCH").to_known().map_err(|error| error.to_string()),
            Err("refresh frequency `BATCH` is not one d360 knows".to_owned())
        );
        assert_eq!(read("Daily").to_known(), Ok(FrequencyType::Daily));
        assert!(Reported::<Category>::default().is_empty());
        assert_eq!(Reported::<Category>::default().known(), None);
    }
}
