//! The state file: the zones and their records as JSON, so that a sandbox can be
//! stopped and started again, or started from a zone saved elsewhere.
//!
//! ```json
//! {"zones": [{"id": "…", "name": "example.com", "plan": "free",
//!             "created_on": "…", "records": [<record as the API returns it>, …]}]}
//! ```

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::endpoint::{RecordType, normalize_name};

use super::config::PlanTier;
use super::stamp::{self, Clock};
use super::store::{Store, ZoneError};
use super::wire::RecordObject;
use super::zone::ZoneState;

/// The file's content.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StateFile {
    pub zones: Vec<ZoneFile>,
}

/// One zone in the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneFile {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub plan: PlanTier,
    #[serde(default)]
    pub created_on: String,
    #[serde(default)]
    pub records: Vec<RecordObject>,
}

/// Why the state file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    #[error("cannot access the state file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the state file {path} is not valid at {at}: {source}")]
    Json {
        path: PathBuf,
        at: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the state file {path}: zone {zone}: {problem}")]
    Invalid {
        path: PathBuf,
        zone: String,
        problem: String,
    },
}

/// Reads the state file at `path`.
pub fn load(path: &Path, clock: &Clock) -> Result<Store, StateFileError> {
    let text = fs::read_to_string(path).map_err(|source| StateFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let file: StateFile =
        serde_path_to_error::deserialize(&mut de).map_err(|e| StateFileError::Json {
            path: path.to_path_buf(),
            at: e.path().to_string(),
            source: e.into_inner(),
        })?;
    to_store(file, clock).map_err(|(zone, problem)| StateFileError::Invalid {
        path: path.to_path_buf(),
        zone,
        problem,
    })
}

/// Builds the zones of a state file, checking ids and record types. The error
/// names the zone and the problem.
pub fn to_store(file: StateFile, clock: &Clock) -> Result<Store, (String, String)> {
    let mut store = Store::default();
    let mut record_ids = HashSet::new();
    for zone in file.zones {
        let label = zone.name.clone();
        let fail = |problem: String| (label.clone(), problem);
        if !stamp::is_id(&zone.id) {
            return Err(fail(format!(
                "the id {:?} is not 32 lowercase hex characters",
                zone.id
            )));
        }
        let created_on = if zone.created_on.is_empty() {
            clock.stamp()
        } else {
            zone.created_on
        };
        let mut state = ZoneState::new(zone.id, zone.name, zone.plan, created_on);
        for mut record in zone.records {
            if !stamp::is_id(&record.id) {
                return Err(fail(format!(
                    "record id {:?} is not 32 lowercase hex characters",
                    record.id
                )));
            }
            if !record_ids.insert(record.id.clone()) {
                return Err(fail(format!("record id {} appears twice", record.id)));
            }
            let record_type: RecordType = record
                .record_type
                .parse()
                .map_err(|e| fail(format!("record {}: {e}", record.id)))?;
            record.record_type = record_type.as_str().to_string();
            record.name = normalize_name(&record.name);
            state.insert(record);
        }
        store
            .insert(state)
            .map_err(|e: ZoneError| fail(e.to_string()))?;
    }
    Ok(store)
}

/// The state file content for the zones.
pub fn from_store(store: &Store) -> StateFile {
    StateFile {
        zones: store
            .zones()
            .map(|z| ZoneFile {
                id: z.id.clone(),
                name: z.name.clone(),
                plan: z.plan,
                created_on: z.created_on.clone(),
                records: z.sorted_records(),
            })
            .collect(),
    }
}

/// Writes the zones to `path`, through a temporary file renamed into place so
/// that a crash never leaves half a file.
pub fn save(file: &StateFile, path: &Path) -> Result<(), StateFileError> {
    let io = |source| StateFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let json = serde_json::to_vec_pretty(file).map_err(|source| StateFileError::Json {
        path: path.to_path_buf(),
        at: String::new(),
        source,
    })?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, json).map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::ops;
    use crate::sandbox::wire::RecordInput;

    #[test]
    fn state_round_trips_through_a_file() {
        let clock = Clock::default();
        let mut store = Store::default();
        let id = store
            .add_zone("example.com", PlanTier::Business, &clock)
            .unwrap();
        let zone = store.zone_mut(&id).unwrap();
        ops::create(
            zone,
            &clock,
            RecordInput::new("www", RecordType::A, "192.0.2.1"),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save(&from_store(&store), &path).unwrap();
        let loaded = load(&path, &clock).unwrap();
        assert_eq!(from_store(&loaded), from_store(&store));
    }

    #[test]
    fn bad_files_name_the_problem() {
        let clock = Clock::default();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, r#"{"zones": [{"id": 7}]}"#).unwrap();
        let err = load(&path, &clock).unwrap_err();
        assert!(
            matches!(&err, StateFileError::Json { at, .. } if at == "zones[0].id"),
            "{err}"
        );

        let record =
            serde_json::json!({"id": "b".repeat(32), "name": "x.example.com", "type": "BOGUS"});
        let file = serde_json::json!({"zones": [{"id": "a".repeat(32), "name": "example.com", "records": [record]}]});
        fs::write(&path, file.to_string()).unwrap();
        let err = load(&path, &clock).unwrap_err();
        assert!(
            err.to_string().contains("unknown record type \"BOGUS\""),
            "{err}"
        );

        let missing = dir.path().join("missing.json");
        assert!(matches!(
            load(&missing, &clock),
            Err(StateFileError::Io { .. })
        ));
    }
}
