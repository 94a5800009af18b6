terraform {
  required_providers {
    cloudflare = {
      source  = "opentofu/cloudflare"
      version = "~> 4.0"
    }
  }
}

# Configure the Cloudflare Provider
# It is strongly recommended to use environment variables for credentials
# export CLOUDFLARE_API_TOKEN="<your-api-token>"
provider "cloudflare" {
  # api_token can be set here, but environment variable is preferred
}
