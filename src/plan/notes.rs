//! What a plan says in words beside its actions, typed by what it means: an action's reasons
//! ([`Reason`]) and the plan's warnings ([`Warning`]).
//!
//! Each is written to the plan file (and shown) as its words alone, so the plan format is a
//! list of strings; the stages after the plan (`drift`) classify on the variant, never on the
//! words, so rewording a message cannot change a classification or an exit code. A saved plan
//! read back gives the plain variants ([`Reason::Because`], [`Warning::Note`]): nothing that
//! reads a saved plan classifies.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::ResourceKey;

/// Why an action is in the plan, or what it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Why the action is proposed: "deleted outside d360", "--replace asks for it".
    Because(String),
    /// What an in-place update of this kind does beyond its field changes (the kind's note):
    /// about the write, not the object, so drift leaves it out.
    UpdateNote(String),
    /// What replacing an object of this kind costs beyond the object itself.
    ReplaceNote(String),
}

impl Reason {
    /// The words shown and saved.
    #[must_use]
    pub(crate) fn text(&self) -> &str {
        match self {
            Reason::Because(text) | Reason::UpdateNote(text) | Reason::ReplaceNote(text) => text,
        }
    }

    /// Whether it describes the object (drift shows those), not how the API writes it.
    #[must_use]
    pub(crate) fn describes_object(&self) -> bool {
        match self {
            Reason::Because(_) | Reason::ReplaceNote(_) => true,
            Reason::UpdateNote(_) => false,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.text())
    }
}

impl PartialEq<&str> for Reason {
    fn eq(&self, other: &&str) -> bool {
        self.text() == *other
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.text())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Reason::Because)
    }
}

/// A plan warning: something worth knowing that does not stop the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Warning {
    /// Words only: nothing after the plan classifies it.
    Note(String),
    /// A credential of `key` cannot be read (`problem` says why) while every other field of
    /// the object matches: the credential was not compared, and nothing is written.
    CredentialNotCompared { key: ResourceKey, problem: String },
    /// The org promotes from `from`, which has not converged to these manifests: `apply`
    /// will be refused (`reason` says why, in the refusal's words).
    PromotionPending { from: String, reason: String },
}

impl Warning {
    /// What is wrong, without the resource's address: `credentials.password: ...; not compared`.
    #[must_use]
    pub(crate) fn detail(&self) -> String {
        match self {
            Warning::Note(text) => text.clone(),
            Warning::CredentialNotCompared { problem, .. } => format!("{problem}; not compared"),
            Warning::PromotionPending { reason, .. } => format!("apply will be refused: {reason}"),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Note(text) => formatter.write_str(text),
            Warning::CredentialNotCompared { key, .. } => write!(formatter, "{key}: {}", self.detail()),
            Warning::PromotionPending { .. } => formatter.write_str(&self.detail()),
        }
    }
}

impl From<String> for Warning {
    fn from(text: String) -> Self {
        Warning::Note(text)
    }
}

impl Serialize for Warning {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Warning {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Warning::Note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    #[test]
    fn saved_as_their_words_alone() {
        let warning = Warning::CredentialNotCompared {
            key: ResourceKey::new(Kind::Connection, "A".to_owned()),
            problem: "credentials.password: `RDS_PASSWORD` is not set".to_owned(),
        };
        let reasons = [Reason::UpdateNote("the API updates by PUT".to_owned())];
        assert_eq!(
            serde_json::to_string(&warning).ok().as_deref(),
            Some(r#""Connection/A: credentials.password: `RDS_PASSWORD` is not set; not compared""#)
        );
        assert_eq!(
            serde_json::to_string(&reasons).ok().as_deref(),
            Some(r#"["the API updates by PUT"]"#)
        );
        let read: Vec<Reason> = serde_json::from_str(r#"["the API updates by PUT"]"#).unwrap_or_default();
        assert_eq!(read, [Reason::Because("the API updates by PUT".to_owned())]);
    }
}
