//! The PostgreSQL state backend (placeholder until the GitOps issue builds it).

use std::time::Duration;

use secrecy::SecretString;

use super::lock::{LockHolder, StateLock};
use super::{State, StateError};

pub struct PostgresStore;

impl PostgresStore {
    pub async fn connect(_url: &SecretString, _org: &str) -> Result<Self, StateError> {
        Err(StateError::Database("the postgres state backend is not built yet; use `state: { backend: local }`".into()))
    }

    #[must_use]
    pub fn describe(&self) -> String {
        "postgres".into()
    }

    pub async fn load(&self) -> Result<State, StateError> {
        Err(StateError::Database("not built".into()))
    }

    pub async fn save(&self, _state: &State) -> Result<(), StateError> {
        Err(StateError::Database("not built".into()))
    }

    pub async fn fingerprint_key(&self) -> Result<Vec<u8>, StateError> {
        Err(StateError::Database("not built".into()))
    }

    pub async fn lock(&self, _command: &str, _timeout: Duration) -> Result<StateLock, StateError> {
        Err(StateError::Database("not built".into()))
    }

    pub async fn unlock(&self) -> Result<Option<LockHolder>, StateError> {
        Err(StateError::Database("not built".into()))
    }
}
