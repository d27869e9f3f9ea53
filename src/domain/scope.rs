//! Where in the grid a caller may look and act, on materialised paths (`210100/210102/210102001/`).
//!
//! One rule for every capability: a caller acts in its home cell's subtree; it sees the cells of that
//! subtree and the home cell's ancestors (so it can place itself), and it sees what is attached to a
//! cell (people, incidents, plans, inspections) only in the subtree.

/// A caller's reach in the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// No home cell: the whole grid (administrators and system work).
    Everywhere,
    /// The subtree of the home cell with this path.
    Subtree(String),
}

impl Scope {
    /// The home cell's path; `None` for the whole grid.
    pub fn home_path(&self) -> Option<&str> {
        match self {
            Self::Everywhere => None,
            Self::Subtree(path) => Some(path),
        }
    }

    /// True when `path` is in the subtree: the caller may act there, and see what is attached there.
    pub fn covers(&self, path: &str) -> bool {
        self.home_path().is_none_or(|home| path.starts_with(home))
    }

    /// True when the caller may see the cell at `path` itself: the subtree and the home cell's ancestors.
    pub fn sees_cell(&self, path: &str) -> bool {
        self.home_path().is_none_or(|home| path.starts_with(home) || home.starts_with(path))
    }

    /// True when everything `other` reaches, this scope reaches too (granting no wider scope than one's own).
    pub fn includes(&self, other: &Scope) -> bool {
        match other {
            Self::Everywhere => *self == Self::Everywhere,
            Self::Subtree(path) => self.covers(path),
        }
    }

    /// Paths of the home cell's proper ancestors, root first (empty for the whole grid or a root).
    pub fn ancestor_paths(&self) -> Vec<String> {
        self.home_path().map(ancestor_paths).unwrap_or_default()
    }
}

/// The half-open range `[path, end)` of every path in the subtree rooted at `path`, so that a subtree
/// is one range scan on a byte-ordered index. Paths end in `/`; replacing it with the next byte, `0`,
/// gives the first string past every extension of the prefix.
pub fn subtree_range(path: &str) -> (String, String) {
    debug_assert!(path.ends_with('/'), "paths end with a slash: {path}");
    let stem = path.strip_suffix('/').unwrap_or(path);
    (path.to_owned(), format!("{stem}0"))
}

/// Proper ancestors of a path, root first: `a/b/c/` → `a/`, `a/b/`.
pub fn ancestor_paths(path: &str) -> Vec<String> {
    path.match_indices('/').map(|(i, _)| path[..=i].to_owned()).filter(|p| p.len() < path.len()).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn subtree_and_ancestors() {
        let district = Scope::Subtree("C/D1/".into());
        assert!(district.covers("C/D1/"));
        assert!(district.covers("C/D1/S1/V1/"));
        assert!(!district.covers("C/D10/"), "a sibling whose code extends ours is not ours");
        assert!(!district.covers("C/"));
        assert!(district.sees_cell("C/"), "ancestors are visible");
        assert!(!district.sees_cell("C/D2/"));
        assert_eq!(district.ancestor_paths(), vec!["C/".to_owned()]);
        assert!(Scope::Everywhere.covers("anything/"));
        assert!(Scope::Everywhere.ancestor_paths().is_empty());
    }

    #[test]
    fn no_scope_grants_more_than_it_has() {
        let city = Scope::Subtree("C/".into());
        let district = Scope::Subtree("C/D1/".into());
        assert!(Scope::Everywhere.includes(&city));
        assert!(city.includes(&district));
        assert!(city.includes(&city));
        assert!(!district.includes(&city));
        assert!(!city.includes(&Scope::Everywhere));
    }

    fn path() -> impl Strategy<Value = String> {
        proptest::collection::vec("[A-Za-z0-9._-]{1,4}", 1..5).prop_map(|codes| codes.join("/") + "/")
    }

    proptest! {
        /// The range holds exactly the paths that start with the prefix, in byte order.
        #[test]
        fn the_range_is_the_prefix(prefix in path(), other in path()) {
            let (start, end) = subtree_range(&prefix);
            let in_range = other.as_str() >= start.as_str() && other.as_str() < end.as_str();
            prop_assert_eq!(in_range, other.starts_with(&prefix));
            let extended = format!("{prefix}{other}");
            prop_assert!(extended.as_str() >= start.as_str() && extended.as_str() < end.as_str());
        }
    }
}
