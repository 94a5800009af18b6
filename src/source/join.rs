//! Kinds whose objects ("primaries") are mapped together with facts of other
//! objects ("dependencies"): a Service with the nodes, pods and EndpointSlices
//! it reads; a route with its Gateways and their Namespaces.
//!
//! A [`Join`] is the pure half: which dependency types there are, how an object
//! of each is reduced to the few facts the mapping reads, which primaries a
//! changed fact affects, and the mapping itself, a pure function of (primary,
//! facts, configuration). The controller's generic join
//! (`controller::join::JoinMapper`) is the stateful half: it keeps the facts
//! in a [`Facts`] index, starts a dependency's watch when the first primary
//! needs it, holds a primary until its dependencies are listed, and maps the
//! affected primaries again when a fact changes.

use std::collections::BTreeMap;
use std::fmt::Debug;

use kube::api::DynamicObject;

use super::SourceOutput;
use super::kinds::ObjectType;

/// A dependency object's id: (namespace, name); a cluster-wide object has an
/// empty namespace.
pub type FactId = (String, String);

/// The primary's id, as a join sees it: (namespace, name).
pub type PrimaryId<'a> = (&'a str, &'a str);

/// The pure half of a join (see the module doc).
pub trait Join: Send + Sync + 'static {
    /// A decoded primary object.
    type Primary: Clone + Send + Sync + 'static;
    /// The dependency types, as a small enum.
    type Dependency: Copy + Ord + Debug + Send + Sync + 'static;
    /// What a dependency object is reduced to.
    type Fact: Clone + PartialEq + Debug + Send + Sync + 'static;

    /// Every dependency type, with the object type that is watched for it.
    fn dependencies(&self) -> &'static [(Self::Dependency, &'static ObjectType)];

    /// Decodes a watched primary; one that does not decode is a problem on
    /// itself.
    fn decode(&self, object: &DynamicObject) -> Result<Self::Primary, SourceOutput>;

    /// Reduces a watched dependency object; `None` when it matters to no
    /// primary (an EndpointSlice that belongs to no Service).
    fn reduce(&self, dependency: Self::Dependency, object: &DynamicObject) -> Option<Self::Fact>;

    /// The dependency types `primary` reads; none: it is mapped alone, at once.
    fn needs(&self, primary: &Self::Primary) -> Vec<Self::Dependency>;

    /// Whether a change of the fact `id` of `dependency` (from `before` to
    /// `after`) can change the mapping of the primary `primary`.
    fn affects(
        &self,
        dependency: Self::Dependency,
        id: &FactId,
        before: Option<&Self::Fact>,
        after: Option<&Self::Fact>,
        primary: PrimaryId<'_>,
    ) -> bool;

    /// Maps a primary with the facts of the dependencies it needs (all of
    /// them listed).
    fn map(
        &self,
        primary: &Self::Primary,
        facts: &Facts<Self::Dependency, Self::Fact>,
    ) -> SourceOutput;
}

/// The reduced facts of a join's dependency objects, by dependency type and id.
#[derive(Clone, Debug)]
pub struct Facts<D, F> {
    by_id: BTreeMap<(D, String, String), F>,
}

impl<D, F> Default for Facts<D, F> {
    fn default() -> Self {
        Facts {
            by_id: BTreeMap::new(),
        }
    }
}

impl<D: Copy + Ord, F> Facts<D, F> {
    /// The fact of one object.
    pub fn get(&self, dependency: D, id: &FactId) -> Option<&F> {
        // A borrowed lookup would need a key type of borrowed parts; ids are
        // short, and a fact changes far less often than it is read.
        self.by_id.get(&(dependency, id.0.clone(), id.1.clone()))
    }

    /// Sets the fact of one object; returns the one it replaces.
    pub fn insert(&mut self, dependency: D, id: FactId, fact: F) -> Option<F> {
        self.by_id.insert((dependency, id.0, id.1), fact)
    }

    /// Forgets one object; returns its fact.
    pub fn remove(&mut self, dependency: D, id: &FactId) -> Option<F> {
        self.by_id.remove(&(dependency, id.0.clone(), id.1.clone()))
    }

    /// Keeps of `dependency` only the objects `keep` picks (after a re-list).
    pub fn retain(&mut self, dependency: D, mut keep: impl FnMut(&FactId) -> bool) {
        self.by_id.retain(|(d, namespace, name), _| {
            *d != dependency || keep(&(namespace.clone(), name.clone()))
        });
    }

    /// Every fact of `dependency`, in id order.
    pub fn all(&self, dependency: D) -> impl Iterator<Item = &F> {
        self.by_id
            .range((dependency, String::new(), String::new())..)
            .take_while(move |((d, _, _), _)| *d == dependency)
            .map(|(_, fact)| fact)
    }

    /// The facts of `dependency` in one namespace, in name order.
    pub fn in_namespace<'a>(
        &'a self,
        dependency: D,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a F> {
        self.by_id
            .range((dependency, namespace.to_string(), String::new())..)
            .take_while(move |((d, ns, _), _)| *d == dependency && ns == namespace)
            .map(|(_, fact)| fact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_by_dependency_and_namespace() {
        let mut facts: Facts<u8, &str> = Facts::default();
        facts.insert(1, ("a".into(), "x".into()), "1ax");
        facts.insert(1, ("b".into(), "y".into()), "1by");
        facts.insert(2, ("a".into(), "z".into()), "2az");
        facts.insert(0, (String::new(), "n".into()), "0n");
        assert_eq!(facts.all(1).copied().collect::<Vec<_>>(), ["1ax", "1by"]);
        assert_eq!(
            facts.in_namespace(1, "a").copied().collect::<Vec<_>>(),
            ["1ax"]
        );
        assert_eq!(facts.in_namespace(2, "b").count(), 0);
        assert_eq!(facts.all(0).copied().collect::<Vec<_>>(), ["0n"]);
        assert_eq!(
            facts.insert(1, ("a".into(), "x".into()), "new"),
            Some("1ax")
        );
        facts.retain(1, |(namespace, _)| namespace == "b");
        assert_eq!(facts.all(1).copied().collect::<Vec<_>>(), ["1by"]);
        assert_eq!(facts.all(2).count(), 1);
        assert_eq!(facts.remove(2, &("a".into(), "z".into())), Some("2az"));
        assert_eq!(facts.get(2, &("a".into(), "z".into())), None);
    }
}
