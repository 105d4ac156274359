terraform {
  required_providers {
    servicemesh = {
      source = "servicemesh/servicemesh"
    }
  }
}

# Credentials, region and endpoints come from the standard AWS chain (environment,
# shared config files, SSO, web identity, instance metadata) unless set here.
provider "servicemesh" {
  region = "eu-west-1"

  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}
