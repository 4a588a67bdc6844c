//! A selection key (`field|mod|mod`): the field and its modifiers, with warnings and errors
//! pointing at the modifier concerned.

use super::Lowerer;
use crate::locate::Located;
use crate::modifier::Modifier;
use std::collections::BTreeSet;

/// A parsed `field|mod|mod` key: the field, and each modifier with its spelling and place.
pub(super) struct Key<'k> {
    pub(super) field: Option<&'k str>,
    pub(super) modifiers: Vec<(Modifier, &'k str, Located)>,
}

impl Key<'_> {
    pub(super) fn has(&self, m: Modifier) -> bool {
        self.modifiers.iter().any(|(x, _, _)| *x == m)
    }
}

impl Lowerer<'_> {
    pub(super) fn key<'k>(&mut self, raw: &'k str, loc: &Located, path: &str) -> Option<Key<'k>> {
        let mut parts = raw.split('|');
        let field = parts.next().filter(|f| !f.is_empty());
        let mut modifiers = Vec::new();
        let mut ok = true;
        let quoted = self
            .char_at(loc.at.line, loc.at.col)
            .is_some_and(|c| c == '\'' || c == '"');
        let key_col = loc.at.col + usize::from(quoted);
        let mut offset = raw.split('|').next().map_or(0, |f| f.chars().count()) + 1;
        for name in parts {
            let here = Located {
                at: crate::locate::Pos {
                    line: loc.at.line,
                    col: key_col + offset,
                },
                len: name.chars().count().max(1),
                ..loc.clone()
            };
            offset += name.chars().count() + 1;
            match Modifier::parse(name) {
                Some(m) => {
                    if modifiers.iter().any(|(x, _, _)| *x == m) && m != Modifier::Exists {
                        let d = self
                            .diag(&here, path, format!("modifier `{name}` is given twice"))
                            .with_help("the second one changes nothing; remove it")
                            .warning();
                        self.diags.push(d);
                    }
                    modifiers.push((m, name, here));
                }
                None if name.is_empty() => {
                    self.error(
                        &here,
                        path,
                        format!("empty modifier in `{raw}`"),
                        Some("remove the extra `|`".into()),
                    );
                    ok = false;
                }
                None => {
                    let help = match Modifier::suggest(name) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "modifiers are lowercase words such as `contains`, `startswith`, `endswith`, `all`, `cased`, `re`, `exists`".into(),
                    };
                    self.error(
                        &here,
                        path,
                        format!("unknown modifier `{name}`"),
                        Some(help),
                    );
                    ok = false;
                }
            }
        }
        let shapes: Vec<&str> = modifiers
            .iter()
            .filter(|(m, _, _)| {
                matches!(
                    m,
                    Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith
                )
            })
            .map(|(_, n, _)| *n)
            .collect();
        let distinct: BTreeSet<&&str> = shapes.iter().collect();
        if distinct.len() > 1 {
            let d = self
                .diag(
                    loc,
                    path,
                    format!(
                        "`{}` together match like `contains`",
                        shapes.join("` and `")
                    ),
                )
                .with_help("keep just the one you mean, or use a wildcard value such as `abc*xyz`")
                .warning();
            self.diags.push(d);
        }
        if let Some(i) = modifiers
            .iter()
            .position(|(m, _, _)| *m == Modifier::Exists)
        {
            let (_, _, at) = &modifiers[i];
            let at = at.clone();
            if field.is_none() {
                self.error(
                    loc,
                    path,
                    "`exists` needs a field name",
                    Some("write `field|exists: true`".into()),
                );
                ok = false;
            } else if i > 0
                || modifiers
                    .iter()
                    .any(|(m, _, _)| !matches!(m, Modifier::Exists | Modifier::All | Modifier::Neq))
            {
                self.error(
                    &at,
                    path,
                    "`exists` cannot be combined with other value modifiers",
                    Some("write `field|exists: true` alone".into()),
                );
                ok = false;
            }
        }
        ok.then_some(Key { field, modifiers })
    }

    fn char_at(&self, line: usize, col: usize) -> Option<char> {
        self.text
            .lines()
            .nth(line.checked_sub(1)?)?
            .chars()
            .nth(col.checked_sub(1)?)
    }
}
