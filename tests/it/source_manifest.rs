//! Reading manifests from folders and running the sources over them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flaredns::crd::DNSEndpoint;
use flaredns::endpoint::RecordType;
use flaredns::problem::Consequence;
use flaredns::source::manifest::{self, Format, ManifestError, Manifests, NO_KIND};
use flaredns::source::{SourceConfig, SourceKind};
use k8s_openapi::api::core::v1::{Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/manifests")
        .join(path)
}

fn rows(out: &flaredns::source::SourceOutput) -> Vec<(String, RecordType, Vec<String>)> {
    let mut rows: Vec<_> = out
        .endpoints
        .iter()
        .map(|e| (e.dns_name.clone(), e.record_type, e.targets.clone()))
        .collect();
    rows.sort();
    rows
}

fn row(name: &str, t: RecordType, targets: &[&str]) -> (String, RecordType, Vec<String>) {
    (
        name.into(),
        t,
        targets.iter().map(|t| t.to_string()).collect(),
    )
}

#[test]
fn reads_folders_recursively_in_sorted_order() {
    let m = manifest::load(&[data("cluster")]).expect("manifests");
    let files: Vec<String> = m
        .files
        .iter()
        .map(|f| {
            f.strip_prefix(data("cluster"))
                .expect("under cluster")
                .display()
                .to_string()
        })
        .collect();
    // README.md is not a manifest; .hidden/ is passed over.
    assert_eq!(
        files,
        vec![
            "01-web.yaml",
            "02-list.yml",
            "03-records.json",
            "headless/db.yaml",
            "values.yaml"
        ]
    );
    assert_eq!(m.count::<Ingress>(), 1);
    assert_eq!(m.count::<Service>(), 3);
    assert_eq!(m.count::<DNSEndpoint>(), 1);
    assert_eq!(m.count::<Pod>(), 2);
    assert_eq!(m.count::<EndpointSlice>(), 1);
    assert_eq!(m.count::<Node>(), 2);
    assert_eq!(
        m.other_kinds,
        BTreeMap::from([
            ("ConfigMap".to_string(), 1),
            ("Deployment".to_string(), 1),
            ("Ingress (extensions/v1beta1)".to_string(), 1),
            (NO_KIND.to_string(), 1),
        ])
    );
    // A namespaced object without a namespace lands in `default`.
    assert_eq!(
        m.objects::<DNSEndpoint>()
            .next()
            .unwrap()
            .metadata
            .namespace
            .as_deref(),
        Some("default")
    );
}

#[test]
fn the_guide_manifests() {
    let m = manifest::load(&[data("guide")]).expect("guide manifests");
    assert_eq!(m.files.len(), 3);
    assert_eq!(m.count::<Ingress>(), 1);
    assert_eq!(m.count::<Service>(), 1);
    assert_eq!(m.count::<DNSEndpoint>(), 1);
    assert_eq!(
        m.other_kinds,
        BTreeMap::from([("Deployment".to_string(), 1)])
    );
    let out = manifest::endpoints(
        &m,
        &SourceConfig::default(),
        &[SourceKind::Ingress, SourceKind::Service, SourceKind::Crd],
    );
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    // The Ingress has no load balancer status in Git, so only the DNSEndpoint
    // yields a record here; the ClusterIP service names no host.
    assert_eq!(
        rows(&out),
        vec![row("static.example.com", RecordType::A, &["192.0.2.100"])]
    );
    assert_eq!(out.endpoints[0].ttl, Some(300));
    assert_eq!(
        out.endpoints[0].resource(),
        Some("crd/default/static-entry")
    );

    // The Ingress's annotations are read as ExternalDNS reads them.
    let ingress = m.objects::<Ingress>().next().unwrap();
    let object = flaredns::source::ingress::object_ref(ingress);
    let (parsed, problems) = flaredns::source::annotations::ObjectAnnotations::read(
        &object,
        ingress.metadata.annotations.as_ref(),
        &SourceConfig::default().annotation_prefixes,
    );
    assert!(problems.is_empty());
    assert_eq!(
        parsed.hostnames.map(|h| h.items),
        Some(vec!["nginx.example.com".to_string()])
    );
    assert_eq!(parsed.cloudflare.proxied, Some(true));
    assert_eq!(parsed.ttl, Some(120));
}

#[test]
fn runs_the_selected_sources() {
    let m = manifest::load(&[data("cluster")]).expect("manifests");
    let all = [SourceKind::Ingress, SourceKind::Service, SourceKind::Crd];
    let out = manifest::endpoints(&m, &SourceConfig::default(), &all);
    assert_eq!(
        rows(&out),
        vec![
            row(
                "_games._udp.games.example.com",
                RecordType::Srv,
                &["0 50 30777 games.example.com."]
            ),
            row(
                "api.example.com",
                RecordType::Cname,
                &["lb-123.elb.example.net"]
            ),
            row("db-0.db.example.com", RecordType::A, &["10.244.0.5"]),
            row("db.example.com", RecordType::A, &["10.244.0.5"]),
            row("games.example.com", RecordType::A, &["198.51.100.1"]),
            row(
                "proxied.example.com",
                RecordType::Cname,
                &["origin.example.net"]
            ),
            row("shop.example.com", RecordType::A, &["203.0.113.10"]),
            row("txt.example.com", RecordType::Txt, &["\"hello world\""]),
            row("www.example.com", RecordType::A, &["203.0.113.10"]),
        ]
    );
    let web: Vec<_> = out
        .endpoints
        .iter()
        .filter(|e| e.resource() == Some("ingress/shop/web"))
        .collect();
    assert_eq!(web.len(), 2);
    assert!(
        web.iter()
            .all(|e| e.ttl == Some(300) && e.cloudflare.proxied.is_none())
    );
    let proxied = out
        .endpoints
        .iter()
        .find(|e| e.dns_name == "proxied.example.com")
        .expect("proxied");
    assert_eq!(proxied.cloudflare.proxied, Some(true));

    let problems: Vec<_> = out
        .problems
        .iter()
        .map(|p| {
            (
                p.object.to_string(),
                p.field.as_str(),
                p.reason,
                p.consequence,
            )
        })
        .collect();
    assert_eq!(
        problems,
        vec![
            (
                "Ingress shop/web".to_string(),
                "metadata.annotations[\"external-dns.alpha.kubernetes.io/cloudflare-proxied\"]",
                "invalid-proxied",
                Consequence::Ignored
            ),
            (
                "DNSEndpoint default/records".to_string(),
                "spec.endpoints[1].targets[0]",
                "invalid-target",
                Consequence::Skipped
            ),
        ]
    );

    let only_crd = manifest::endpoints(
        &m,
        &SourceConfig::default(),
        &[SourceKind::Crd, SourceKind::Crd],
    );
    assert_eq!(only_crd.endpoints.len(), 2);
    let cfg = SourceConfig {
        namespace: Some("shop".into()),
        ..SourceConfig::default()
    };
    let shop = manifest::endpoints(&m, &cfg, &all);
    assert!(
        shop.endpoints
            .iter()
            .all(|e| !e.resource().unwrap_or_default().starts_with("crd/"))
    );
    assert_eq!(shop.endpoints.len(), 7);
}

#[test]
fn a_bad_field_names_file_document_and_field() {
    let path = data("broken/field.yaml");
    let err = manifest::load(&[&path]).expect_err("broken manifest");
    match &err {
        ManifestError::Field {
            path: p,
            document,
            kind,
            field,
            ..
        } => {
            assert_eq!(p, &path);
            assert_eq!(*document, 2);
            assert_eq!(kind, "Service");
            assert_eq!(field, "spec.ports[0].port");
        }
        other => panic!("unexpected error {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("field.yaml"), "{message}");
    assert!(message.contains("document 2"), "{message}");
    assert!(message.contains("spec.ports[0].port"), "{message}");
}

#[test]
fn a_bad_list_item_names_its_index() {
    let err = manifest::load(&[data("broken/list-item.json")]).expect_err("broken manifest");
    match err {
        ManifestError::Field {
            document,
            kind,
            field,
            ..
        } => {
            assert_eq!(document, 1);
            assert_eq!(kind, "Ingress");
            assert_eq!(field, "items[1].spec.rules");
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn a_syntax_error_names_file_and_document() {
    let path = data("broken/syntax.yaml");
    let err = manifest::load(&[&path]).expect_err("broken manifest");
    assert!(
        matches!(&err, ManifestError::Syntax { document: 1, path: p, .. } if p == &path),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("syntax.yaml: document 1:"),
        "{err}"
    );
}

#[test]
fn missing_paths_are_errors() {
    let err = manifest::load(&[data("does-not-exist")]).expect_err("missing folder");
    assert!(matches!(err, ManifestError::Read { .. }));
    assert!(err.to_string().contains("does-not-exist"));
}

#[test]
fn documents_from_text() {
    let mut m = Manifests::default();
    let yaml = "---\n# only a comment\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x}\n---\n";
    m.add_text(yaml, Format::Yaml, Path::new("inline.yaml"))
        .expect("yaml");
    let json = r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"b"}} {"kind":"Secret"}"#;
    m.add_text(json, Format::Json, Path::new("inline.json"))
        .expect("json");
    let names: Vec<_> = m
        .objects::<Service>()
        .map(|s| {
            (
                s.metadata.namespace.clone().unwrap_or_default(),
                s.metadata.name.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![("x".into(), "a".into()), ("default".into(), "b".into())]
    );
    assert_eq!(m.other_kinds, BTreeMap::from([("Secret".to_string(), 1)]));
    let err = m
        .add_text("{\"kind\": ", Format::Json, Path::new("cut.json"))
        .expect_err("truncated JSON");
    assert!(matches!(err, ManifestError::Syntax { document: 1, .. }));
}

#[cfg(unix)]
#[test]
fn symlinked_folders_are_not_followed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let real = dir.path().join("real");
    std::fs::create_dir(&real).expect("mkdir");
    std::fs::write(
        real.join("svc.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(&real, real.join("loop")).expect("symlink");
    std::os::unix::fs::symlink(real.join("svc.yaml"), real.join("link.yaml")).expect("symlink");
    let m = manifest::load(&[&real]).expect("manifests");
    // The file and the link to it are read; the link back to the folder is not.
    assert_eq!(m.files.len(), 2);
    assert_eq!(m.count::<Service>(), 2);
}
