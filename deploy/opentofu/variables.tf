variable "cloudflare_account_id" {
  type        = string
  description = "The Account ID of your Cloudflare account."
}
