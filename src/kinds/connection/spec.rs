//! The `Connection` kind: a Data 360 connector instance such as AWS RDS MySQL.

use crate::model::SmallMap;

use serde::{Deserialize, Serialize};

pub(crate) use d360_wire::values::Method;
use d360_wire::values::Reported;

use crate::model::{FieldPath, FieldPaths, Fields, Lifecycle, ResourceKey, ResourceSpec};
use crate::secret::SecretRef;

/// A connection as declared (desired) or as read (live; then `credentials` and `lifecycle` are
/// empty because the org never returns them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Connection {
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "SmallMap::is_empty")]
    pub(crate) labels: SmallMap<String, String>,
    pub(crate) connector_type: String,
    pub(crate) label: String,
    /// Always known when declared; as the org answers it when read.
    pub(crate) method: Reported<Method>,
    #[serde(default)]
    pub(crate) parameters: SmallMap<String, String>,
    #[serde(default)]
    pub(crate) credentials: SmallMap<String, SecretRef>,
    #[serde(default)]
    pub(crate) lifecycle: Lifecycle,
}

impl ResourceSpec for Connection {
    const FIELDS: FieldPaths = FieldPaths(&[
        FieldPath::plain("connectorType").immutable().not_ignorable(),
        FieldPath::plain("label"),
        // What the source sees: where it is and who logs in; a new label reaches nothing new.
        FieldPath::plain("method").checked_on_update(),
        FieldPath::plain("parameters").replaced_whole().checked_on_update(),
        FieldPath::plain("credentials").checked_on_update(),
    ]);

    fn name(&self) -> &str {
        &self.name
    }

    fn fields(&self) -> Fields {
        let mut fields = Fields::new();
        fields.insert("connectorType".into(), self.connector_type.clone().into());
        fields.insert("label".into(), self.label.clone().into());
        fields.insert("method".into(), self.method.as_str().into());
        for (name, value) in &self.parameters {
            fields.insert(format!("parameters.{name}"), value.clone().into());
        }
        fields
    }

    fn depends_on(&self) -> Vec<ResourceKey> {
        Vec::new()
    }

    fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    fn secrets(&self) -> &SmallMap<String, SecretRef> {
        &self.credentials
    }

    fn labels(&self) -> &SmallMap<String, String> {
        &self.labels
    }
}
