//! Clauses as conditions on a row of `resources`: a parameter against its index table, chains
//! through `search_reference` to any depth, `_has` the other way round, and `_id` and
//! `_lastUpdated` on the row itself. Values of a clause are alternatives (OR), clauses all hold.

use domain::ResourceType;
use domain::interaction::Compartment;
use search::query::{ChainLink, Clause, HasClause, Predicate, SystemMatch};

use super::predicate::{range, row_condition};
use super::sql::{Sql, always};
use crate::index::Table;

/// A clause compiled against the row `alias` of `resources`.
pub(super) enum Cond {
    /// `alias.rid IN (sql)`, where `sql` selects keys of resources of the type only (an
    /// index row belongs to a current version).
    Member(Sql),
    /// Any other condition on `alias`.
    Filter(Sql),
}

/// Compiles clauses, giving every subquery aliases of its own so that correlated names never
/// clash however deep chains and `_has` nest.
#[derive(Default)]
pub(super) struct Compiler {
    aliases: usize,
}

impl Compiler {
    fn alias(&mut self, stem: &str) -> String {
        self.aliases += 1;
        format!("{stem}{}", self.aliases)
    }

    /// Current resources of `resource_type`, as the row `alias`, that satisfy every clause.
    /// `Resource` stands for every type, as in the search crate: the clauses are then on the
    /// parameters all types share.
    pub(super) fn filter(&mut self, resource_type: &str, alias: &str, clauses: &[Clause]) -> Sql {
        let mut sql = Sql::new(&format!("{alias}.deleted = "));
        sql.bind(false);
        if resource_type != ANY_TYPE {
            sql.push(&format!(" AND {alias}.resource_type = ")).bind(resource_type);
        }
        for clause in clauses {
            sql.push(" AND ");
            match self.clause(resource_type, alias, &clause.chain, clause) {
                Cond::Member(rids) => {
                    sql.push(&format!("{alias}.rid IN (")).append(&rids).push(")")
                }
                Cond::Filter(condition) => sql.push("(").append(&condition).push(")"),
            };
        }
        sql
    }

    /// `clause` on `alias`, after following `chain` from `resource_type`.
    fn clause(
        &mut self,
        resource_type: &str,
        alias: &str,
        chain: &[ChainLink],
        clause: &Clause,
    ) -> Cond {
        if let Some((link, rest)) = chain.split_first() {
            return self.chained(resource_type, link, rest, clause);
        }
        match clause.param.as_str() {
            "_id" => Cond::Filter(id_condition(alias, &clause.values)),
            "_lastUpdated" => Cond::Filter(last_updated_condition(alias, &clause.values)),
            "_has" => Cond::Filter(self.has_any(resource_type, alias, &clause.values)),
            _ => self.indexed(resource_type, alias, clause),
        }
    }

    /// Resources whose reference `link` points to a resource of one of its target types that
    /// satisfies the rest of the chain and the clause.
    fn chained(
        &mut self,
        resource_type: &str,
        link: &ChainLink,
        rest: &[ChainLink],
        clause: &Clause,
    ) -> Cond {
        let refs = self.alias("c");
        let mut targets = Vec::with_capacity(link.target_types.len());
        for target in &link.target_types {
            let inner = self.alias("r");
            let condition = self.clause(target, &inner, rest, clause);
            let ids = self.target_ids(target, &inner, condition);
            let mut part = Sql::new(&format!("{refs}.target_type = "));
            part.bind(target.as_str()).push(&format!(" AND {refs}.target_id IN ("));
            part.append(&ids).push(")");
            targets.push(part);
        }
        let mut sql = Sql::new(&format!("SELECT {refs}.rid FROM search_reference {refs} WHERE "));
        sql.push(&format!("{refs}.resource_type = ")).bind(resource_type);
        sql.push(&format!(" AND {refs}.param = ")).bind(link.param.as_str()).push(" AND ");
        sql.join(&targets, " OR ");
        Cond::Member(sql)
    }

    fn has_any(&mut self, resource_type: &str, alias: &str, values: &[Predicate]) -> Sql {
        let parts: Vec<Sql> = values
            .iter()
            .map(|value| match value {
                Predicate::Has(has) => self.has(resource_type, alias, has),
                _ => always(false),
            })
            .collect();
        let mut sql = Sql::default();
        sql.join(&parts, " OR ");
        sql
    }

    /// Resources that a `has.source_type` resource satisfying `has.clause` points to.
    fn has(&mut self, resource_type: &str, alias: &str, has: &HasClause) -> Sql {
        let source = self.alias("r");
        let condition = self.clause(&has.source_type, &source, &has.clause.chain, &has.clause);
        let rids = self.rids(&has.source_type, &source, condition);
        let refs = self.alias("h");
        // The targets may name resources that were deleted or never existed, so this stays a
        // condition on `alias` rather than a list of current ids.
        let mut sql = Sql::new(&format!("{alias}.id IN (SELECT {refs}.target_id "));
        sql.push(&format!("FROM search_reference {refs} WHERE {refs}.resource_type = "));
        sql.bind(has.source_type.as_str());
        sql.push(&format!(" AND {refs}.param = ")).bind(has.reference_param.as_str());
        sql.push(&format!(" AND {refs}.target_type = ")).bind(resource_type);
        sql.push(&format!(" AND {refs}.rid IN (")).append(&rids).push("))");
        sql
    }

    /// The keys of current `resource_type` resources (row `alias`) that satisfy `condition`.
    fn rids(&mut self, resource_type: &str, alias: &str, condition: Cond) -> Sql {
        match condition {
            Cond::Member(rids) => rids,
            Cond::Filter(filter) => current(alias, "rid", resource_type, Some(filter)),
        }
    }

    /// The ids of current `resource_type` resources (row `alias`) that satisfy `condition`, as
    /// references name them.
    fn target_ids(&mut self, resource_type: &str, alias: &str, condition: Cond) -> Sql {
        let condition = match condition {
            Cond::Member(rids) => {
                let mut sql = Sql::new(&format!("{alias}.rid IN ("));
                sql.append(&rids).push(")");
                sql
            }
            Cond::Filter(filter) => filter,
        };
        current(alias, "id", resource_type, Some(condition))
    }

    /// A parameter answered by its index table: the rows that match any value, or for
    /// `:missing=true` and `:not` the absence of such rows.
    fn indexed(&mut self, resource_type: &str, alias: &str, clause: &Clause) -> Cond {
        let Some(table) = Table::for_kind(clause.kind) else { return Cond::Filter(always(false)) };
        let row = self.alias("t");
        let mut present = Present::default();
        let mut absent = Vec::new();
        for value in &clause.values {
            match value {
                Predicate::Missing(false) => present.add(table, None),
                Predicate::Missing(true) => {
                    absent.push(no_row(alias, &row, table, &clause.param, None));
                }
                Predicate::Token { system, code, not: true } => {
                    let wanted =
                        Predicate::Token { system: system.clone(), code: code.clone(), not: false };
                    let condition = row_condition(&row, &wanted).map(|(_, c)| c);
                    absent.push(no_row(alias, &row, Table::Token, &clause.param, condition));
                }
                other => match row_condition(&row, other) {
                    Some((table, condition)) => present.add(table, Some(condition)),
                    None => absent.push(always(false)),
                },
            }
        }
        let scope = Scope { resource_type, param: &clause.param };
        present.into_cond(alias, &row, scope, absent)
    }
}

/// The conditions met by some index row, grouped by table; `None` stands for any row.
#[derive(Default)]
struct Present {
    groups: Vec<(Table, Vec<Option<Sql>>)>,
}

impl Present {
    fn add(&mut self, table: Table, condition: Option<Sql>) {
        match self.groups.iter_mut().find(|(t, _)| *t == table) {
            Some((_, conditions)) => conditions.push(condition),
            None => self.groups.push((table, vec![condition])),
        }
    }

    /// One list of ids when every value is met by a row of one table, a condition otherwise.
    fn into_cond(self, alias: &str, row: &str, scope: Scope<'_>, absent: Vec<Sql>) -> Cond {
        let mut lists: Vec<Sql> =
            self.groups.into_iter().map(|(table, c)| rows_ids(row, table, scope, c)).collect();
        if absent.is_empty() && lists.len() == 1 {
            return Cond::Member(lists.remove(0));
        }
        let mut parts: Vec<Sql> = lists
            .into_iter()
            .map(|ids| {
                let mut sql = Sql::new(&format!("{alias}.rid IN ("));
                sql.append(&ids).push(")");
                sql
            })
            .collect();
        parts.extend(absent);
        let mut sql = Sql::default();
        sql.join(&parts, " OR ");
        Cond::Filter(sql)
    }
}

/// The resource keys of the rows of `param` in `table` that meet any of `conditions`.
fn rows_ids(row: &str, table: Table, scope: Scope<'_>, conditions: Vec<Option<Sql>>) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {row}.rid FROM {} {row} WHERE ", table.name()));
    sql.push(&format!("{row}.param = ")).bind(scope.param);
    if scope.resource_type != ANY_TYPE {
        // FIXME(#3): across every type the lookup index, which starts with the type, does not
        // apply and the table is scanned; a search with `_type` is compiled per type instead.
        sql.push(&format!(" AND {row}.resource_type = ")).bind(scope.resource_type);
    }
    if conditions.iter().all(Option::is_some) {
        let conditions: Vec<Sql> = conditions.into_iter().flatten().collect();
        sql.push(" AND ").join(&conditions, " OR ");
    }
    sql
}

/// The type and parameter whose index rows a clause reads.
#[derive(Clone, Copy)]
struct Scope<'a> {
    resource_type: &'a str,
    param: &'a str,
}

/// No row of `param` in `table` for `alias` (that meets `condition`, when given).
fn no_row(alias: &str, row: &str, table: Table, param: &str, condition: Option<Sql>) -> Sql {
    let mut sql = Sql::new(&format!("NOT EXISTS (SELECT 1 FROM {} {row} WHERE ", table.name()));
    sql.push(&format!("{row}.rid = {alias}.rid"));
    sql.push(&format!(" AND {row}.param = ")).bind(param);
    if let Some(condition) = condition {
        sql.push(" AND (").append(&condition).push(")");
    }
    sql.push(")");
    sql
}

/// The `resource_type` resources (row `alias`) in `compartment`: those whose reference
/// parameters named by R4's CompartmentDefinition point to the compartment's resource. A type
/// that is never in such a compartment has none there.
pub(super) fn in_compartment(
    resource_type: ResourceType,
    alias: &str,
    compartment: &Compartment,
) -> Sql {
    let registry = search::Registry::r4();
    let owner = compartment.resource_type.as_str();
    let Some(params) = registry.compartment_params(owner, resource_type.as_str()) else {
        return always(false);
    };
    let mut sql = Sql::new(&format!("{alias}.rid IN (SELECT x.rid FROM search_reference x "));
    sql.push("WHERE x.resource_type = ").bind(resource_type.as_str());
    sql.push(" AND x.param IN ").bind_list(params.iter().map(String::as_str));
    sql.push(" AND x.target_type = ").bind(owner);
    sql.push(" AND x.target_id = ").bind(compartment.id.as_str()).push(")");
    sql
}

/// The type name that stands for every type (`GET /fhir?_tag=...`).
pub(super) const ANY_TYPE: &str = "Resource";

/// `column` of the current `resource_type` resources (row `alias`) that meet `condition`.
fn current(alias: &str, column: &str, resource_type: &str, condition: Option<Sql>) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {alias}.{column} FROM resources {alias} WHERE "));
    sql.push(&format!("{alias}.resource_type = ")).bind(resource_type);
    sql.push(&format!(" AND {alias}.deleted = ")).bind(false);
    if let Some(condition) = condition {
        sql.push(" AND (").append(&condition).push(")");
    }
    sql
}

/// `_id` is the row's own id, which has no system, display or type.
fn id_condition(alias: &str, values: &[Predicate]) -> Sql {
    let column = format!("{alias}.id");
    let mut ids = Vec::new();
    let mut parts = Vec::new();
    for value in values {
        match value {
            Predicate::Token {
                system: SystemMatch::Any | SystemMatch::None,
                code: Some(id),
                not,
            } => match not {
                false => ids.push(id.clone()),
                true => {
                    let mut sql = Sql::new(&column);
                    sql.push(" <> ").bind(id.as_str());
                    parts.push(sql);
                }
            },
            Predicate::Token { not, .. } => parts.push(always(*not)),
            Predicate::Missing(missing) => parts.push(always(!missing)),
            _ => parts.push(always(false)),
        }
    }
    if !ids.is_empty() {
        let mut sql = Sql::new(&column);
        sql.push(" IN ").bind_list(ids);
        parts.insert(0, sql);
    }
    let mut sql = Sql::default();
    sql.join(&parts, " OR ");
    sql
}

/// `_lastUpdated` is the row's own instant, to the microsecond as `meta.lastUpdated` says it.
fn last_updated_condition(alias: &str, values: &[Predicate]) -> Sql {
    let column = format!("{alias}.last_updated");
    let parts: Vec<Sql> = values
        .iter()
        .map(|value| match value {
            Predicate::Date { prefix, low, high } => range(*prefix, *low, *high, &column, &column),
            Predicate::Missing(missing) => always(!missing),
            _ => always(false),
        })
        .collect();
    let mut sql = Sql::default();
    sql.join(&parts, " OR ");
    sql
}
