"""Why a token was refused, as precisely as before the edge: ALGORITHM_NOT_ALLOWED for `alg:
none`, an HMAC or any algorithm off the allow-list, and TOKEN_LIFETIME_TOO_LONG for `exp - iat`
beyond the maximum, where jwt_authn only says "malformed", "no key for this kid or alg" or
"verification fails".

jwt_authn lets a failed token through (`allow_missing_or_failed`) with its failure in
metadata; this filter, made only for those calls (a matcher on that metadata, `only_when`: a
call whose token verified, or that has none, never runs it), reads the token's header and
claims without trusting them, notes the reason in metadata (ACCORD, TOKEN_REASON) when it is
one of the two, and refuses the call with 401; the local-reply mappers turn that into the
detailed status (gateway/envoy_config/local_replies.py), and jwt_authn's own message names
every other failure. A token that fails never reaches rbac or a service: rbac refuses one too,
should this filter be missing.

Lua (Envoy's built-in LuaJIT) because no native filter reads an unverified token: it decodes
base64url and finds two fields of a flat JSON object; it verifies nothing and decides only
the wording of a refusal that jwt_authn already made. A token whose lifetime is too long and
whose signature is also bad is named for its lifetime (the signature is jwt_authn's to check).
"""

from gateway.envoy_config.names import ACCORD, FAILURE, JWT, JWT_MISSING, TOKEN_REASON
from gateway.envoy_config.shapes import Json, all_of, metadata_is, only_when, typed
from gateway.settings import GatewaySettings

LUA = """
local ALLOWED = {%(allowed)s}
local MAX_LIFETIME = %(max_lifetime)d
local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local VALUE = {}
for i = 1, 64 do VALUE[ALPHABET:byte(i)] = i - 1 end

-- base64url without padding; nil for anything else.
local function decode(text)
  local out, bits, count = {}, 0, 0
  for i = 1, #text do
    local value = VALUE[text:byte(i)]
    if value == nil then return nil end
    bits = bits * 64 + value
    count = count + 6
    if count >= 8 then
      count = count - 8
      local byte = math.floor(bits / 2 ^ count)
      out[#out + 1] = string.char(byte)
      bits = bits - byte * 2 ^ count
    end
  end
  return table.concat(out)
end

local function number(json, name)
  return tonumber(json:match('"' .. name .. '"%%s*:%%s*(%%-?[%%d%%.eE%%+%%-]+)'))
end

local function reason(authorization, failure)
  local token = authorization and authorization:match("^Bearer%%s+(%%S+)$")
  local header, payload = (token or ""):match("^([%%w_%%-]*)%%.([%%w_%%-]*)%%.")
  if header == nil then return nil end
  local decoded = decode(header)
  if decoded == nil then return nil end
  local alg = decoded:match('"alg"%%s*:%%s*"([^"]*)"')
  if alg == nil or not ALLOWED[alg] then return "ALGORITHM_NOT_ALLOWED" end
  if failure == nil or not failure:find("verification fail", 1, true) then return nil end
  local claims = decode(payload)
  if claims == nil then return nil end
  local expires, issued = number(claims, "exp"), number(claims, "iat") or number(claims, "nbf")
  if expires ~= nil and issued ~= nil and expires - issued > MAX_LIFETIME then
    return "TOKEN_LIFETIME_TOO_LONG"
  end
  return nil
end

function envoy_on_request(handle)
  local metadata = handle:streamInfo():dynamicMetadata()
  local jwt = metadata:get("%(jwt)s")
  local failure = jwt and jwt["%(failure)s"] and jwt["%(failure)s"]["message"]
  local why = reason(handle:headers():get("authorization"), failure)
  if why ~= nil then metadata:set("%(accord)s", "%(token_reason)s", why) end
  handle:respond({[":status"] = "401"}, "")
end
"""


def token_reasons(settings: GatewaySettings) -> Json:
    auth = settings.auth
    source = LUA % {
        "allowed": ", ".join(f'["{name}"] = true' for name in sorted(auth.algorithms)),
        "max_lifetime": auth.max_lifetime_seconds,
        "jwt": JWT,
        "failure": FAILURE,
        "accord": ACCORD,
        "token_reason": TOKEN_REASON,
    }
    lua = {
        "name": "token_reason",
        "typed_config": {
            "@type": typed("extensions.filters.http.lua.v3", "Lua"),
            "default_source_code": {"inline_string": source},
            "stat_prefix": "token_reason",
        },
    }
    failed = all_of(
        metadata_is(JWT, [FAILURE, "message"], {"present_match": True}),
        metadata_is(JWT, [FAILURE, "message"], {"string_match": {"exact": JWT_MISSING}}, True),
    )
    return only_when("token_reasons", failed, lua)
