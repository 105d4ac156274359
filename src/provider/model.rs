//! The provider block as a typed model, and its translation into AWS settings.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::aws::config::{AssumeRole, AwsSettings, Endpoints};
use crate::mesh::validate::parse_duration;
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::value::{AttributePath, Number, Value, from_value};

#[derive(Debug, Default, Deserialize)]
pub struct ProviderModel {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// Numbers as written, so that a negative or fractional value gets a message of
    /// ours instead of a decoding error.
    pub max_retries: Option<Number>,
    pub max_concurrency: Option<Number>,
    pub assume_role: Option<AssumeRoleModel>,
    pub endpoints: Option<EndpointsModel>,
    pub default_tags: Option<DefaultTagsModel>,
}

#[derive(Debug, Deserialize)]
pub struct AssumeRoleModel {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct EndpointsModel {
    pub ecs: Option<String>,
    pub servicediscovery: Option<String>,
    pub route53: Option<String>,
    pub sts: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DefaultTagsModel {
    pub tags: Option<BTreeMap<String, String>>,
}

impl ProviderModel {
    /// Decodes a fully known configuration; a null one (no provider block) is empty.
    pub fn decode(config: &Value) -> Result<Self, Diagnostics> {
        if config.is_null() {
            return Ok(Self::default());
        }
        if !config.is_fully_known() {
            // Validation of values not known yet happens at apply.
            return Ok(Self::default());
        }
        from_value(config).map_err(|err| {
            Diagnostics::error_at(
                err.path().clone(),
                "Invalid provider configuration",
                err.message().to_string(),
            )
        })
    }

    /// Checks that need no AWS call.
    pub fn validate(&self) -> Diagnostics {
        let mut diagnostics = Diagnostics::default();
        for result in [
            self.duration().map(|_| ()),
            self.max_retries().map(|_| ()),
            self.max_concurrency().map(|_| ()),
        ] {
            if let Err(errors) = result {
                diagnostics.extend(errors);
            }
        }
        diagnostics
    }

    fn max_retries(&self) -> Result<Option<u32>, Diagnostics> {
        whole_number(
            "max_retries",
            self.max_retries.as_ref(),
            0,
            "Use 0 (no retries) or more; terraform-provider-aws uses 25.",
        )
    }

    fn max_concurrency(&self) -> Result<Option<u32>, Diagnostics> {
        whole_number(
            "max_concurrency",
            self.max_concurrency.as_ref(),
            1,
            "Use 1 or more: it is how many AWS calls may be in flight at once.",
        )
    }

    fn duration(&self) -> Result<Option<std::time::Duration>, Diagnostics> {
        let Some(text) = self
            .assume_role
            .as_ref()
            .and_then(|r| r.duration.as_deref())
        else {
            return Ok(None);
        };
        parse_duration(text).map(Some).map_err(|reason| {
            Diagnostics::error_at(
                AttributePath::root()
                    .attribute("assume_role")
                    .attribute("duration"),
                "Invalid assume_role duration",
                format!("{text:?} is not a duration: {reason}. Write it like \"1h\" or \"15m\"."),
            )
        })
    }

    pub fn into_settings(self) -> Result<AwsSettings, Diagnostics> {
        let duration = self.duration()?;
        let max_retries = self.max_retries()?;
        let max_concurrency = self.max_concurrency()?;
        let endpoints = self.endpoints.map(|e| Endpoints {
            ecs: e.ecs,
            servicediscovery: e.servicediscovery,
            route53: e.route53,
            sts: e.sts,
        });
        Ok(AwsSettings {
            region: self.region,
            profile: self.profile,
            assume_role: self.assume_role.map(|role| AssumeRole {
                role_arn: role.role_arn,
                session_name: role.session_name,
                external_id: role.external_id,
                duration,
            }),
            endpoints: endpoints.unwrap_or_default(),
            max_retries,
            max_concurrency: max_concurrency.map(|n| n as usize),
            default_tags: self.default_tags.and_then(|d| d.tags).unwrap_or_default(),
        })
    }
}

/// A provider setting that must be a whole number of at least `min`.
fn whole_number(
    name: &str,
    number: Option<&Number>,
    min: u32,
    advice: &str,
) -> Result<Option<u32>, Diagnostics> {
    let Some(number) = number else {
        return Ok(None);
    };
    match number.to_i64().and_then(|n| u32::try_from(n).ok()) {
        Some(value) if value >= min => Ok(Some(value)),
        _ => Err(Diagnostics::error_at(
            AttributePath::root().attribute(name),
            "Invalid provider configuration",
            format!("{name} is {number}. {advice}"),
        )),
    }
}
