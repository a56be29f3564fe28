//! Network files from pest pairs to the AST (`ast::Network`): the `network` line, network
//! params, and the `population`, `connect` and `drive` blocks with their fields. Field
//! names are kept as written; the network checker says which belong where.

use pest::iterators::Pair;

use super::{Builder, Result};
use crate::ast::{Field, FieldKind, FieldValue, Ident, NetworkItem, NetworkItemKind};
use crate::grammar::Rule;

impl Builder {
    /// One `network_item` pair.
    pub(crate) fn network_item(&self, pair: Pair<'_, Rule>) -> Result<NetworkItem> {
        let outer = self.span(&pair);
        let declaration = pair
            .into_inner()
            .next()
            .ok_or_else(|| self.internal(outer, "network declaration"))?;
        let span = self.tight_span(&declaration);
        let rule = declaration.as_rule();
        let children: Vec<Pair<'_, Rule>> = declaration.into_inner().collect();
        let names = || {
            children
                .iter()
                .filter(|c| c.as_rule() == Rule::ident)
                .map(|c| self.declared_name(c))
                .collect::<Result<Vec<Ident>>>()
        };
        let fields = || {
            children
                .iter()
                .filter(|c| c.as_rule() == Rule::net_field)
                .map(|c| self.field(c.clone()))
                .collect::<Result<Vec<Field>>>()
        };
        let kind = match rule {
            Rule::param_decl => {
                let name = names()?
                    .pop()
                    .ok_or_else(|| self.internal(span, "param name"))?;
                let value = children
                    .iter()
                    .find(|c| c.as_rule() == Rule::expr)
                    .ok_or_else(|| self.internal(span, "param value"))?;
                NetworkItemKind::Param {
                    name,
                    value: self.expr(value.clone())?,
                }
            }
            Rule::population_decl => NetworkItemKind::Population {
                name: names()?
                    .pop()
                    .ok_or_else(|| self.internal(span, "population name"))?,
                fields: fields()?,
            },
            Rule::connect_decl => {
                let mut populations = names()?.into_iter();
                let pre = populations
                    .next()
                    .ok_or_else(|| self.internal(span, "presynaptic population"))?;
                NetworkItemKind::Connect {
                    pre,
                    posts: populations.collect(),
                    fields: fields()?,
                }
            }
            Rule::drive_decl => NetworkItemKind::Drive {
                targets: names()?,
                fields: fields()?,
            },
            _ => return Err(self.internal(span, "network declaration kind")),
        };
        Ok(NetworkItem { kind, span })
    }

    /// One `net_field` pair.
    fn field(&self, pair: Pair<'_, Rule>) -> Result<Field> {
        let outer = self.span(&pair);
        let line = pair
            .into_inner()
            .next()
            .ok_or_else(|| self.internal(outer, "field"))?;
        let span = self.tight_span(&line);
        let rule = line.as_rule();
        let kind = match rule {
            Rule::on_pre => {
                let mut body = Vec::new();
                for assign in line.into_inner().filter(|c| c.as_rule() == Rule::assign) {
                    let assign_span = self.tight_span(&assign);
                    body.push(crate::ast::Item {
                        kind: self.declaration(assign, assign_span)?,
                        span: assign_span,
                    });
                }
                FieldKind::OnPre { body }
            }
            Rule::ode => match self.declaration(line, span)? {
                crate::ast::ItemKind::Ode { state, value } => FieldKind::Ode { state, value },
                _ => return Err(self.internal(span, "equation")),
            },
            Rule::param_decl | Rule::init_decl | Rule::state_decl => {
                let children: Vec<Pair<'_, Rule>> = line.into_inner().collect();
                let name = children
                    .iter()
                    .find(|c| c.as_rule() == Rule::ident)
                    .ok_or_else(|| self.internal(span, "name"))?;
                let name = self.declared_name(name)?;
                let value = children
                    .iter()
                    .find(|c| c.as_rule() == Rule::expr)
                    .ok_or_else(|| self.internal(span, "value"))?;
                let value = self.expr(value.clone())?;
                match rule {
                    Rule::param_decl => FieldKind::Param { name, value },
                    Rule::init_decl => FieldKind::Init { name, value },
                    _ => FieldKind::State { name, value },
                }
            }
            Rule::field_set => {
                let mut key = None;
                let mut value = None;
                for child in line.into_inner() {
                    match child.as_rule() {
                        Rule::field_name => {
                            key = Some(Ident {
                                name: child.as_str().to_string(),
                                span: self.span(&child),
                            })
                        }
                        Rule::field_text => {
                            let literal = self.span(&child);
                            let text = child
                                .into_inner()
                                .next()
                                .map_or(String::new(), |text| text.as_str().to_string());
                            value = Some(FieldValue::Text(text, literal));
                        }
                        Rule::field_file => {
                            let call = self.span(&child);
                            let text = child
                                .into_inner()
                                .find(|c| c.as_rule() == Rule::field_text)
                                .and_then(|literal| literal.into_inner().next())
                                .map_or(String::new(), |text| text.as_str().to_string());
                            value = Some(FieldValue::File(text, call));
                        }
                        Rule::expr => value = Some(FieldValue::Expr(self.expr(child)?)),
                        _ => {}
                    }
                }
                FieldKind::Set {
                    key: key.ok_or_else(|| self.internal(span, "field name"))?,
                    value: value.ok_or_else(|| self.internal(span, "field value"))?,
                }
            }
            _ => return Err(self.internal(span, "field kind")),
        };
        Ok(Field { kind, span })
    }
}
