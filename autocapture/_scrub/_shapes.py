"""Value shapes: what a secret looks like whatever its key, as a table of data.

Each row is one `Shape`: the rule name reported to callbacks (`value:<rule>`), the
*anchor* (one literal character the branch starts with), the rest of the regex, how many
characters before the anchor belong to the secret (`back`), whether the character before
the secret must not be alphanumeric (`edge`), and `source`: where the shape comes from.
Sources are gitleaks' rule set (`gitleaks:<rule-id>`, github.com/gitleaks/gitleaks,
`config/gitleaks.toml`), Yelp's detect-secrets plugins (`detect-secrets:<plugin>`), the
vendor's own documentation of its token format (`vendor:<name>`), or a standard.

Why anchors: every branch of the combined pattern starts with a literal that is rare in
prose (`_ - . : = @ J A B b` and digits), so that `re` skips to candidate positions with
its character-set prefix scan instead of trying every branch at every character.
Prefixes that come before the anchor (`sk` in `sk_live_`) are checked with a fixed-width
lookbehind. `edge` is only for short prefixes that also begin ordinary words (`task-...`,
`the_...`); distinctive prefixes are found even when glued to a word, so that no part of
them leaks. A named group `(?P<name>...)` in a pattern marks the part replaced (only the
password of a URL, only the token of a webhook URL).

Personal data (emails, IP addresses) is `_pii.PII_SHAPES`. To add a shape: add a row
(with its source) and a planted case in `tests/test_scrub_corpus.py`; `TextRules` needs
nothing else unless the shape needs a validator (`_validators`, `_check` in `_text.py`).
"""

from __future__ import annotations

from typing import Final, NamedTuple

__all__ = ["SHAPES", "Shape"]


class Shape(NamedTuple):
    """One secret shape (see the module docstring for each field)."""

    anchor: str
    rule: str
    pattern: str
    back: int
    edge: bool
    source: str


SHAPES: Final[tuple[Shape, ...]] = (
    Shape(
        "J",
        "jwt",
        r"(?<=eyJ)[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?",
        2,
        edge=False,
        source="gitleaks:jwt",
    ),
    Shape(
        "B",
        "http_credentials",
        r"(?i:earer|asic)[ \t]+(?P<cred>[A-Za-z0-9._~+/-]{8,}=*)",
        0,
        edge=True,
        source="RFC 6750, RFC 7617",
    ),
    Shape(
        "b",
        "http_credentials",
        r"(?i:earer|asic)[ \t]+(?P<cred>[A-Za-z0-9._~+/-]{8,}=*)",
        0,
        edge=True,
        source="RFC 6750, RFC 7617",
    ),
    Shape(
        "-",
        "private_key",
        r"----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?s:.*?)"
        r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)",
        0,
        edge=False,
        source="gitleaks:private-key, detect-secrets:PrivateKeyDetector",
    ),
    Shape(
        "-",
        "openai_key",
        r"(?<=sk-)[A-Za-z0-9_-]{20,}",
        2,
        edge=True,
        source="gitleaks:openai-api-key, gitleaks:anthropic-api-key",
    ),
    Shape(
        "-",
        "gitlab_token",
        r"(?<=glpat-)[A-Za-z0-9_-]{16,}",
        5,
        edge=False,
        source="gitleaks:gitlab-pat",
    ),
    Shape(
        "-",
        "gitlab_token",
        r"(?<=gl(?:rt|dt|ft)-)[A-Za-z0-9_-]{20,}",
        4,
        edge=False,
        source="gitleaks:gitlab-rrt, gitleaks:gitlab-deploy-token",
    ),
    Shape(
        "-",
        "gitlab_token",
        r"(?<=gl(?:ptt|cbt|imt)-)[A-Za-z0-9_-]{20,}",
        5,
        edge=False,
        source="gitleaks:gitlab-ptt, gitleaks:gitlab-cicd-job-token",
    ),
    Shape(
        "-",
        "gcp_oauth_client_secret",
        r"(?<=GOCSPX-)[A-Za-z0-9_-]{28}",
        6,
        edge=False,
        source="gitleaks:gcp-api-key (client secret), vendor:google",
    ),
    Shape(
        "-",
        "slack_token",
        r"(?<=xox[abposre]-)[A-Za-z0-9-]{10,}",
        4,
        edge=False,
        source="gitleaks:slack-bot-token, gitleaks:slack-config-access-token",
    ),
    Shape(
        ".",
        "slack_token",
        r"(?<=xoxe\.)xox[bp]-[A-Za-z0-9-]{10,}",
        4,
        edge=False,
        source="gitleaks:slack-config-refresh-token",
    ),
    Shape(
        "-",
        "slack_token",
        r"(?<=xapp-)\d-[A-Za-z0-9-]{10,}",
        4,
        edge=False,
        source="gitleaks:slack-app-token",
    ),
    Shape("-", "xai_key", r"(?<=xai-)[A-Za-z0-9]{20,}", 3, edge=True, source="vendor:xai"),
    Shape(
        "-",
        "perplexity_key",
        r"(?<=pplx-)[A-Za-z0-9]{20,}",
        4,
        edge=True,
        source="vendor:perplexity",
    ),
    Shape(
        "-",
        "pypi_token",
        r"(?<=pypi-)AgE[A-Za-z0-9_-]{16,}",
        4,
        edge=False,
        source="gitleaks:pypi-upload-token",
    ),
    Shape(
        "-",
        "sendinblue_key",
        r"(?<=xkeysib-)[a-f0-9]{64}-[A-Za-z0-9]{16}",
        7,
        edge=True,
        source="gitleaks:sendinblue-api-token",
    ),
    Shape(
        "-",
        "postman_key",
        r"(?<=PMAK-)[a-f0-9]{24}-[a-f0-9]{34}",
        4,
        edge=True,
        source="gitleaks:postman-api-token",
    ),
    Shape(
        "-",
        "age_secret_key",
        r"(?<=AGE-SECRET-KEY-)1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        14,
        edge=False,
        source="gitleaks:age-secret-key",
    ),
    Shape(
        "_",
        "stripe_key",
        r"(?<=[sr]k_)(?:live|test)_[A-Za-z0-9]{10,}",
        2,
        edge=False,
        source="gitleaks:stripe-access-token",
    ),
    Shape(
        "_",
        "stripe_webhook_secret",
        r"(?<=whsec_)[A-Za-z0-9+/=]{16,}",
        5,
        edge=False,
        source="vendor:stripe",
    ),
    Shape(
        "_",
        "github_token",
        r"(?<=gh[pousr]_)[A-Za-z0-9]{20,}",
        3,
        edge=False,
        source="gitleaks:github-pat, gitleaks:github-oauth, gitleaks:github-app-token",
    ),
    Shape(
        "_",
        "github_token",
        r"(?<=github_)pat_[A-Za-z0-9_]{20,}",
        6,
        edge=False,
        source="gitleaks:github-fine-grained-pat",
    ),
    Shape("_", "groq_key", r"(?<=gsk_)[A-Za-z0-9]{20,}", 3, edge=True, source="vendor:groq"),
    Shape(
        "_",
        "huggingface_token",
        r"(?<=hf_)[A-Za-z0-9]{30,}",
        2,
        edge=True,
        source="gitleaks:huggingface-access-token",
    ),
    Shape(
        "_",
        "npm_token",
        r"(?<=npm_)[A-Za-z0-9]{30,}",
        3,
        edge=True,
        source="gitleaks:npm-access-token",
    ),
    Shape(
        "_",
        "digitalocean_token",
        r"(?<=do[pra]_)v1_[a-f0-9]{40,}",
        3,
        edge=True,
        source="gitleaks:digitalocean-pat, gitleaks:digitalocean-access-token",
    ),
    Shape(
        "_",
        "replicate_token",
        r"(?<=r8_)[A-Za-z0-9]{30,}",
        2,
        edge=True,
        source="vendor:replicate",
    ),
    Shape(
        "_",
        "shopify_token",
        r"(?<=shp(?:at|ss|ca|pa)_)[a-fA-F0-9]{32}",
        5,
        edge=True,
        source="gitleaks:shopify-access-token, gitleaks:shopify-shared-secret",
    ),
    Shape(
        "_",
        "sentry_token",
        r"(?<=sntry[su]_)[A-Za-z0-9_=+/.-]{20,}",
        6,
        edge=True,
        source="gitleaks:sentry-org-token, gitleaks:sentry-user-token",
    ),
    Shape(
        "_",
        "linear_key",
        r"(?<=lin_api_)[A-Za-z0-9]{40}",
        7,
        edge=True,
        source="gitleaks:linear-api-key",
    ),
    Shape(
        "_",
        "grafana_token",
        r"(?<=glc_)[A-Za-z0-9_=+/-]{32,}",
        3,
        edge=True,
        source="gitleaks:grafana-cloud-api-token",
    ),
    Shape(
        "_",
        "grafana_token",
        r"(?<=glsa_)[A-Za-z0-9_]{32,}",
        4,
        edge=True,
        source="gitleaks:grafana-service-account-token",
    ),
    Shape(
        "_",
        "docker_token",
        r"(?<=dckr_pat_)[A-Za-z0-9_-]{27,}",
        8,
        edge=True,
        source="vendor:docker",
    ),
    Shape(
        ".",
        "sendgrid_key",
        r"(?<=SG\.)[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
        2,
        edge=False,
        source="gitleaks:sendgrid-api-token",
    ),
    Shape(
        ".",
        "google_oauth_token",
        r"(?<=ya29\.)[A-Za-z0-9_-]{20,}",
        4,
        edge=True,
        source="vendor:google",
    ),
    # hooks.slack.com/services/T.../B.../secret: the path is the credential
    Shape(
        ".",
        "slack_webhook_url",
        r"(?<=hooks\.)slack\.com/(?P<slackhook>(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,})",
        0,
        edge=False,
        source="gitleaks:slack-webhook-url",
    ),
    # discord.com/api/webhooks/<id>/<token>: the token is the credential
    Shape(
        ".",
        "discord_webhook_url",
        r"(?<=discord\.)com/api/webhooks/\d+/(?P<discordhook>[A-Za-z0-9_-]{40,})",
        0,
        edge=False,
        source="vendor:discord",
    ),
    Shape(
        ".",
        "discord_webhook_url",
        r"(?<=discordapp\.)com/api/webhooks/\d+/(?P<dischook>[A-Za-z0-9_-]{40,})",
        0,
        edge=False,
        source="vendor:discord",
    ),
    # <bot id>:<35 chars>; the bot id alone is public, the part after the colon is not
    Shape(
        ":",
        "telegram_bot_token",
        r"(?<=[0-9]{8}:)(?P<telegram>[A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])",
        0,
        edge=False,
        source="gitleaks:telegram-bot-api-token",
    ),
    Shape(
        "K",
        "twilio_api_key",
        r"(?<=SK)[0-9a-fA-F]{32}(?![0-9A-Za-z])",
        1,
        edge=True,
        source="gitleaks:twilio-api-key",
    ),
    Shape(
        "C",
        "twilio_account_sid",
        r"(?<=AC)[0-9a-f]{32}(?![0-9A-Za-z])",
        1,
        edge=True,
        source="vendor:twilio (account SID)",
    ),
    Shape(
        "A",
        "aws_access_key_id",
        r"(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])",
        0,
        edge=False,
        source="gitleaks:aws-access-token, detect-secrets:AWSKeyDetector",
    ),
    Shape(
        "A",
        "google_api_key",
        r"Iza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])",
        0,
        edge=False,
        source="gitleaks:gcp-api-key",
    ),
    # scheme://user:password@host -- only the password is replaced; it may hold / # ?
    Shape(
        ":",
        "url_password",
        r"(?<=[A-Za-z0-9+.-]:)//[^\s:/@?#]*:(?P<urlpw>[^\s@]{1,256}?)@(?=[A-Za-z0-9\[])",
        0,
        edge=False,
        source="detect-secrets:BasicAuthDetector",
    ),
    # card numbers: 13-19 digits, optionally grouped by spaces or dashes; Luhn-checked
    *(
        Shape(
            digit,
            "card_number",
            r"(?<![\w-].)(?:[ -]?\d){12,18}(?!\w|[ -]\d)",
            0,
            edge=False,
            source="ISO/IEC 7812 (Luhn)",
        )
        for digit in "23456"
    ),
)
