//! Reading Kubernetes objects from manifest files, for `flaredns plan`.
//!
//! Every file ending in `.yaml`, `.yml` or `.json` under the given folders
//! (recursively, in sorted path order; hidden entries and symbolic links to folders
//! are passed over) is read. YAML files may hold several `---` documents; JSON
//! files one or more values; `kind: List` (or any `…List` with `items`) is opened.
//! Objects of every type a source reads are kept (see
//! [`kinds::object_types`]: the sources' own types and the types they depend
//! on, such as the nodes, pods and EndpointSlices of Services). Objects of other kinds,
//! and documents that are not Kubernetes objects (Helm values, say), are counted
//! per kind and passed over. A namespaced object without a namespace is placed in
//! `default`, as `kubectl apply` would place it.
//!
//! A document that does not parse is an error naming the file, the document
//! (counted from 1) and the field.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::kinds::{self, ObjectType};
use super::{SourceConfig, SourceKind, SourceOutput};

/// The key under which documents without `kind` are counted.
pub const NO_KIND: &str = "document that is not a Kubernetes object";

/// The objects read from manifest files.
#[derive(Default)]
pub struct Manifests {
    /// The objects of the types sources read, decoded, by Rust type.
    objects: HashMap<TypeId, Vec<Box<dyn Any + Send + Sync>>>,
    /// Objects of other kinds, counted per kind (`Deployment`, or
    /// `Ingress (extensions/v1beta1)` for an API version flaredns does not read).
    pub other_kinds: BTreeMap<String, usize>,
    /// The files read, in the order read.
    pub files: Vec<PathBuf>,
}

impl Manifests {
    /// The objects of one type, in the order read (`manifests.objects::<Ingress>()`).
    pub fn objects<T: Any>(&self) -> impl Iterator<Item = &T> {
        self.objects
            .get(&TypeId::of::<T>())
            .into_iter()
            .flatten()
            .filter_map(|object| object.downcast_ref::<T>())
    }

    /// How many objects of one type were read.
    pub fn count<T: Any>(&self) -> usize {
        self.objects.get(&TypeId::of::<T>()).map_or(0, Vec::len)
    }

    /// Adds one object of a type a source reads (as [`Manifests::add_text`]
    /// would add it from a file).
    pub fn push<T: Any + Send + Sync>(&mut self, object: T) {
        self.objects
            .entry(TypeId::of::<T>())
            .or_default()
            .push(Box::new(object));
    }
}

impl fmt::Debug for Manifests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manifests")
            .field(
                "objects",
                &self.objects.values().map(Vec::len).sum::<usize>(),
            )
            .field("other_kinds", &self.other_kinds)
            .field("files", &self.files)
            .finish()
    }
}

/// Why manifests could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: document {document}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        document: usize,
        message: String,
    },
    #[error("{}: document {document} ({kind}): field `{field}`: {message}", path.display())]
    Field {
        path: PathBuf,
        document: usize,
        kind: String,
        field: String,
        message: String,
    },
}

/// The formats a manifest file can be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// The format of a file, by its extension; `None` for other files.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => Some(Format::Yaml),
            Some("json") => Some(Format::Json),
            _ => None,
        }
    }
}

/// Reads every manifest under the given folders (or the given files).
pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<Manifests, ManifestError> {
    let mut files = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let meta = fs::metadata(path).map_err(|source| ManifestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if meta.is_dir() {
            collect_files(path, &mut files)?;
        } else {
            files.push(path.to_path_buf());
        }
    }
    files.sort();
    files.dedup();
    let mut manifests = Manifests::default();
    for file in files {
        let text = fs::read_to_string(&file).map_err(|source| ManifestError::Read {
            path: file.clone(),
            source,
        })?;
        let format = Format::of(&file).unwrap_or(Format::Yaml);
        manifests.add_text(&text, format, &file)?;
        manifests.files.push(file);
    }
    Ok(manifests)
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), ManifestError> {
    let read_error = |source| ManifestError::Read {
        path: dir.to_path_buf(),
        source,
    };
    for entry in fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let file_type = entry.file_type().map_err(read_error)?;
        if file_type.is_dir() {
            collect_files(&path, files)?;
        } else if Format::of(&path).is_some() {
            // A symbolic link is followed only to a file (never to a folder,
            // which could loop).
            let is_file = if file_type.is_symlink() {
                fs::metadata(&path).is_ok_and(|m| m.is_file())
            } else {
                file_type.is_file()
            };
            if is_file {
                files.push(path);
            }
        }
    }
    Ok(())
}

impl Manifests {
    /// Adds the objects in one file's text; `origin` names the file in errors.
    pub fn add_text(
        &mut self,
        text: &str,
        format: Format,
        origin: &Path,
    ) -> Result<(), ManifestError> {
        let syntax = |document: usize, message: String| ManifestError::Syntax {
            path: origin.to_path_buf(),
            document,
            message,
        };
        match format {
            Format::Yaml => {
                for (i, document) in serde_norway::Deserializer::from_str(text).enumerate() {
                    let value =
                        Value::deserialize(document).map_err(|e| syntax(i + 1, e.to_string()))?;
                    self.add_value(value, origin, i + 1, "")?;
                }
            }
            Format::Json => {
                let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
                for (i, value) in stream.enumerate() {
                    let value = value.map_err(|e| syntax(i + 1, e.to_string()))?;
                    self.add_value(value, origin, i + 1, "")?;
                }
            }
        }
        Ok(())
    }

    fn add_value(
        &mut self,
        value: Value,
        origin: &Path,
        document: usize,
        at: &str,
    ) -> Result<(), ManifestError> {
        let Value::Object(map) = &value else {
            // Empty documents (a trailing `---`) are nothing; other scalars are
            // not objects.
            if !value.is_null() {
                *self.other_kinds.entry(NO_KIND.to_string()).or_default() += 1;
            }
            return Ok(());
        };
        let kind = map
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let api_version = map
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if kind.ends_with("List")
            && let Some(Value::Array(items)) = map.get("items")
        {
            for (j, item) in items.iter().enumerate() {
                self.add_value(item.clone(), origin, document, &format!("{at}items[{j}]."))?;
            }
            return Ok(());
        }
        let field_error = |kind: &str, e: serde_path_to_error::Error<serde_json::Error>| {
            let path = e.path().to_string();
            ManifestError::Field {
                path: origin.to_path_buf(),
                document,
                kind: kind.to_string(),
                field: format!("{at}{}", if path == "." { "" } else { path.as_str() })
                    .trim_end_matches('.')
                    .to_string(),
                message: e.into_inner().to_string(),
            }
        };
        let types: Vec<&'static ObjectType> = kinds::object_types().collect();
        if let Some(object_type) = types
            .iter()
            .find(|t| t.api_version == api_version && t.kind == kind)
        {
            let mut value = value;
            if object_type.namespaced {
                default_namespace(&mut value);
            }
            let object = (object_type.decode)(value).map_err(|e| field_error(&kind, e))?;
            // The decoded object's own type: the key `objects::<T>()` reads.
            let type_id = (*object).type_id();
            self.objects.entry(type_id).or_default().push(object);
        } else if kind.is_empty() {
            *self.other_kinds.entry(NO_KIND.to_string()).or_default() += 1;
        } else if types.iter().any(|t| t.kind == kind) {
            // A kind flaredns reads, at an API version it does not.
            *self
                .other_kinds
                .entry(format!("{kind} ({api_version})"))
                .or_default() += 1;
        } else {
            *self.other_kinds.entry(kind).or_default() += 1;
        }
        Ok(())
    }
}

/// Places a namespaced object without a namespace in `default`, as
/// `kubectl apply` would place it.
fn default_namespace(value: &mut Value) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    let metadata = object
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(metadata) = metadata.as_object_mut() {
        let empty = metadata
            .get("namespace")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if empty {
            metadata.insert("namespace".into(), Value::from("default"));
        }
    }
}

/// Runs the selected sources over everything loaded, in the order given (each
/// source once).
pub fn endpoints(
    manifests: &Manifests,
    cfg: &SourceConfig,
    sources: &[SourceKind],
) -> SourceOutput {
    let mut out = SourceOutput::default();
    let mut seen = Vec::new();
    for kind in sources {
        if seen.contains(kind) {
            continue;
        }
        seen.push(*kind);
        out.extend((kind.def().from_manifests)(manifests, cfg));
    }
    out
}
