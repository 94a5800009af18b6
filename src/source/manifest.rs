//! Reading Kubernetes objects from manifest files, for `flaredns plan`.
//!
//! Every file ending in `.yaml`, `.yml` or `.json` under the given folders
//! (recursively, in sorted path order; hidden entries and symbolic links to folders
//! are passed over) is read. YAML files may hold several `---` documents; JSON
//! files one or more values; `kind: List` (or any `…List` with `items`) is opened.
//! Ingress, Service and DNSEndpoint objects are kept, and Node, Pod and
//! EndpointSlice objects too, to feed [`ServiceInputs`]. Objects of other kinds,
//! and documents that are not Kubernetes objects (Helm values, say), are counted
//! per kind and passed over. A namespaced object without a namespace is placed in
//! `default`, as `kubectl apply` would place it.
//!
//! A document that does not parse is an error naming the file, the document
//! (counted from 1) and the field.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;
use serde_json::Value;

use crate::crd::DNSEndpoint;

use super::service::ServiceInputs;
use super::{SourceConfig, SourceKind, SourceOutput, dnsendpoint, ingress, service};

/// The key under which documents without `kind` are counted.
pub const NO_KIND: &str = "document that is not a Kubernetes object";

/// The objects read from manifest files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Manifests {
    pub ingresses: Vec<Ingress>,
    pub services: Vec<Service>,
    pub dns_endpoints: Vec<DNSEndpoint>,
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    pub endpoint_slices: Vec<EndpointSlice>,
    /// Objects of other kinds, counted per kind (`Deployment`, or
    /// `Ingress (extensions/v1beta1)` for an API version flaredns does not read).
    pub other_kinds: BTreeMap<String, usize>,
    /// The files read, in the order read.
    pub files: Vec<PathBuf>,
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
        match (api_version.as_str(), kind.as_str()) {
            ("networking.k8s.io/v1", "Ingress") => {
                let mut object: Ingress = parse(value).map_err(|e| field_error(&kind, e))?;
                default_namespace(&mut object.metadata);
                self.ingresses.push(object);
            }
            ("v1", "Service") => {
                let mut object: Service = parse(value).map_err(|e| field_error(&kind, e))?;
                default_namespace(&mut object.metadata);
                self.services.push(object);
            }
            ("externaldns.k8s.io/v1alpha1", "DNSEndpoint") => {
                let mut object: DNSEndpoint = parse(value).map_err(|e| field_error(&kind, e))?;
                default_namespace(&mut object.metadata);
                self.dns_endpoints.push(object);
            }
            ("v1", "Node") => {
                self.nodes
                    .push(parse(value).map_err(|e| field_error(&kind, e))?);
            }
            ("v1", "Pod") => {
                let mut object: Pod = parse(value).map_err(|e| field_error(&kind, e))?;
                default_namespace(&mut object.metadata);
                self.pods.push(object);
            }
            ("discovery.k8s.io/v1", "EndpointSlice") => {
                let mut object: EndpointSlice = parse(value).map_err(|e| field_error(&kind, e))?;
                default_namespace(&mut object.metadata);
                self.endpoint_slices.push(object);
            }
            (_, "") => *self.other_kinds.entry(NO_KIND.to_string()).or_default() += 1,
            (version, "Ingress" | "Service" | "DNSEndpoint" | "Node" | "Pod" | "EndpointSlice") => {
                *self
                    .other_kinds
                    .entry(format!("{kind} ({version})"))
                    .or_default() += 1;
            }
            (_, other) => *self.other_kinds.entry(other.to_string()).or_default() += 1,
        }
        Ok(())
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    value: Value,
) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
    serde_path_to_error::deserialize(value)
}

fn default_namespace(meta: &mut ObjectMeta) {
    if meta.namespace.as_deref().unwrap_or_default().is_empty() {
        meta.namespace = Some("default".to_string());
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
        match kind {
            SourceKind::Ingress => {
                for object in &manifests.ingresses {
                    out.extend(ingress::endpoints(object, cfg));
                }
            }
            SourceKind::Service => {
                for object in &manifests.services {
                    let inputs = ServiceInputs::from_cluster(
                        object,
                        &manifests.nodes,
                        &manifests.pods,
                        &manifests.endpoint_slices,
                        cfg,
                    );
                    out.extend(service::endpoints(object, &inputs, cfg));
                }
            }
            SourceKind::Crd => {
                for object in &manifests.dns_endpoints {
                    out.extend(dnsendpoint::endpoints(object, cfg));
                }
            }
        }
    }
    out
}
