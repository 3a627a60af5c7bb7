-- Answering in the customer's language: guess Swahili, French or English from common words,
-- remember the guess per contact, and answer greetings and the closing reply in that language.
-- Everything else goes to the usual strategies with the language noted in the log.
local WORDS = {
  sw = { "habari", "bei", "ngapi", "nataka", "asante", "karibu", "jambo", "sasa", "je", "gani" },
  fr = { "bonjour", "merci", "combien", "prix", "je", "voudrais", "est", "vous" },
}
local GREETING = {
  sw = "Habari! Karibu Kassangas. Tukusaidie vipi?",
  fr = "Bonjour ! Bienvenue chez Kassangas. Comment pouvons-nous vous aider ?",
  en = "Hello! Welcome to Kassangas. How can we help?",
}

local function guess(text)
  local best, score = "en", 0
  for lang, words in pairs(WORDS) do
    local n = 0
    for _, w in ipairs(words) do
      if text:find("%f[%a]" .. w .. "%f[%A]") then
        n = n + 1
      end
    end
    if n > score then
      best, score = lang, n
    end
  end
  return best, score
end

return {
  on_message = function(ctx, msg)
    local lang, score = guess((msg.text or ""):lower())
    local key = "lang:" .. ctx.contact.wa_id
    if score > 0 then
      ctx.kv.set(key, lang)
    end
  end,

  route = function(ctx, msg)
    local lang = ctx.kv.get("lang:" .. ctx.contact.wa_id) or "en"
    local text = (msg.text or ""):lower()
    if text:find("^%s*h[ae][il]") or text:find("habari") or text:find("bonjour")
        or text:find("jambo") then
      ctx.reply(GREETING[lang])
      return
    end
    ctx.log("language " .. lang)
  end,
}
