//! Schemas: what a provider, resource or identity looks like, with the behaviours
//! Terraform users expect declared beside each attribute (requires-replace, keep the
//! prior value when unknown, defaults) instead of hand-written in every resource.
//!
//! Descriptions are markdown: they are shown by `terraform providers schema` and are the
//! source of the generated registry docs.

use std::collections::BTreeMap;

use super::proto::tfplugin6 as pb;
use super::value::{Type, Value};

/// A versioned schema of a provider, resource or data source.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Bumped whenever the stored state's shape changes; see `UpgradeResourceState`.
    pub version: i64,
    pub block: Block,
}

/// A configuration block: attributes and nested blocks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub deprecated: bool,
}

/// What an attribute holds: a value of one type, or nested attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeKind {
    Simple(Type),
    Nested(Nesting, Vec<Attribute>),
}

/// How nested attributes or blocks repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
}

/// Whether the practitioner must, may, or cannot set an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Set by the provider only.
    Computed,
    /// Set by the practitioner or, when left out, by the provider.
    OptionalComputed,
}

/// One attribute and its plan behaviours.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub kind: AttributeKind,
    pub presence: Presence,
    pub description: String,
    pub sensitive: bool,
    pub deprecated: bool,
    /// A change to this attribute replaces the resource.
    pub requires_replace: bool,
    /// A computed value that never changes after create: plans keep the prior state's
    /// value instead of showing "(known after apply)".
    pub use_state_for_unknown: bool,
    /// The value planned when the configuration leaves the attribute null.
    pub default: Option<Value>,
}

impl Attribute {
    fn new(name: &str, kind: AttributeKind, presence: Presence) -> Self {
        Self {
            name: name.to_string(),
            kind,
            presence,
            description: String::new(),
            sensitive: false,
            deprecated: false,
            requires_replace: false,
            use_state_for_unknown: false,
            default: None,
        }
    }

    pub fn required(name: &str, ty: Type) -> Self {
        Self::new(name, AttributeKind::Simple(ty), Presence::Required)
    }

    pub fn optional(name: &str, ty: Type) -> Self {
        Self::new(name, AttributeKind::Simple(ty), Presence::Optional)
    }

    pub fn computed(name: &str, ty: Type) -> Self {
        Self::new(name, AttributeKind::Simple(ty), Presence::Computed)
    }

    pub fn optional_computed(name: &str, ty: Type) -> Self {
        Self::new(name, AttributeKind::Simple(ty), Presence::OptionalComputed)
    }

    /// Nested attributes (`services = { backend = { ... } }`).
    pub fn nested(
        name: &str,
        nesting: Nesting,
        presence: Presence,
        attributes: Vec<Attribute>,
    ) -> Self {
        Self::new(name, AttributeKind::Nested(nesting, attributes), presence)
    }

    pub fn description(mut self, markdown: &str) -> Self {
        self.description = markdown.to_string();
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    pub fn use_state_for_unknown(mut self) -> Self {
        self.use_state_for_unknown = true;
        self
    }

    /// A default makes sense only where the provider may fill the value in.
    pub fn default_value(mut self, value: Value) -> Self {
        self.default = Some(value);
        if self.presence == Presence::Optional {
            self.presence = Presence::OptionalComputed;
        }
        self
    }

    pub fn is_computed(&self) -> bool {
        matches!(
            self.presence,
            Presence::Computed | Presence::OptionalComputed
        )
    }

    /// True when this attribute or one nested in it is sensitive.
    pub fn has_sensitive(&self) -> bool {
        self.sensitive
            || match &self.kind {
                AttributeKind::Simple(_) => false,
                AttributeKind::Nested(_, attributes) => {
                    attributes.iter().any(Attribute::has_sensitive)
                }
            }
    }

    /// The value type this attribute holds.
    pub fn value_type(&self) -> Type {
        match &self.kind {
            AttributeKind::Simple(ty) => ty.clone(),
            AttributeKind::Nested(nesting, attributes) => {
                let object = object_type(attributes);
                match nesting {
                    Nesting::Single => object,
                    Nesting::List => Type::List(Box::new(object)),
                    Nesting::Set => Type::Set(Box::new(object)),
                    Nesting::Map => Type::Map(Box::new(object)),
                }
            }
        }
    }
}

/// A nested block (`timeouts { ... }`, `assume_role { ... }`).
#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    pub type_name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlock {
    /// A block nested as `nesting`, with no item limits.
    pub fn new(type_name: &str, nesting: Nesting, block: Block) -> Self {
        Self {
            type_name: type_name.to_string(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
        }
    }

    /// A block that appears at most once.
    pub fn single(type_name: &str, block: Block) -> Self {
        Self::new(type_name, Nesting::Single, block)
    }

    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            Nesting::Single => object,
            Nesting::List => Type::List(Box::new(object)),
            Nesting::Set => Type::Set(Box::new(object)),
            Nesting::Map => Type::Map(Box::new(object)),
        }
    }
}

fn object_type(attributes: &[Attribute]) -> Type {
    Type::object(attributes.iter().map(|a| (a.name.clone(), a.value_type())))
}

impl Block {
    pub fn new(description: &str) -> Self {
        Self {
            description: description.to_string(),
            ..Self::default()
        }
    }

    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    /// The object type of this block's values on the wire.
    pub fn value_type(&self) -> Type {
        let mut fields: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.value_type()))
            .collect();
        for block in &self.blocks {
            fields.insert(block.type_name.clone(), block.value_type());
        }
        Type::object(fields)
    }

    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// True when any attribute, however deeply nested, is sensitive: values of such a
    /// block must never be logged.
    pub fn has_sensitive(&self) -> bool {
        self.attributes.iter().any(Attribute::has_sensitive)
            || self
                .blocks
                .iter()
                .any(|nested| nested.block.has_sensitive())
    }
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Self {
        Self { version, block }
    }

    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    /// See [`Block::has_sensitive`].
    pub fn has_sensitive(&self) -> bool {
        self.block.has_sensitive()
    }
}

/// A resource identity schema (protocol 6.9): the attributes that name one object.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    pub required_for_import: bool,
    pub optional_for_import: bool,
    pub description: String,
}

impl IdentitySchema {
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone())),
        )
    }
}

// ---- conversions to the wire -------------------------------------------------------

impl From<&Schema> for pb::Schema {
    fn from(schema: &Schema) -> Self {
        pb::Schema {
            version: schema.version,
            block: Some(block_to_proto(&schema.block, schema.version)),
        }
    }
}

fn block_to_proto(block: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: block.attributes.iter().map(attribute_to_proto).collect(),
        block_types: block
            .blocks
            .iter()
            .map(|nested| pb::schema::NestedBlock {
                type_name: nested.type_name.clone(),
                block: Some(block_to_proto(&nested.block, version)),
                nesting: block_nesting(nested.nesting) as i32,
                min_items: nested.min_items,
                max_items: nested.max_items,
            })
            .collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: block.deprecated,
        ..Default::default()
    }
}

fn attribute_to_proto(attribute: &Attribute) -> pb::schema::Attribute {
    let (ty, nested_type) = match &attribute.kind {
        AttributeKind::Simple(ty) => (ty.to_json().into_bytes(), None),
        AttributeKind::Nested(nesting, attributes) => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: attributes.iter().map(attribute_to_proto).collect(),
                nesting: object_nesting(*nesting) as i32,
                ..Default::default()
            }),
        ),
    };
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: ty,
        nested_type,
        description: attribute.description.clone(),
        required: attribute.presence == Presence::Required,
        optional: matches!(
            attribute.presence,
            Presence::Optional | Presence::OptionalComputed
        ),
        computed: attribute.is_computed(),
        sensitive: attribute.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: attribute.deprecated,
        ..Default::default()
    }
}

fn block_nesting(nesting: Nesting) -> pb::schema::nested_block::NestingMode {
    use pb::schema::nested_block::NestingMode;
    match nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
        Nesting::Map => NestingMode::Map,
    }
}

fn object_nesting(nesting: Nesting) -> pb::schema::object::NestingMode {
    use pb::schema::object::NestingMode;
    match nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
        Nesting::Map => NestingMode::Map,
    }
}

impl From<&IdentitySchema> for pb::ResourceIdentitySchema {
    fn from(schema: &IdentitySchema) -> Self {
        pb::ResourceIdentitySchema {
            version: schema.version,
            identity_attributes: schema
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.clone(),
                    r#type: a.ty.to_json().into_bytes(),
                    required_for_import: a.required_for_import,
                    optional_for_import: a.optional_for_import,
                    description: a.description.clone(),
                })
                .collect(),
        }
    }
}
