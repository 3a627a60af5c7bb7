-- Keyword escalation: a customer who asks for a person, or who is angry, is handed to the
-- escalation phone; repeated "?" messages that nobody answered count towards it too.
local PERSON = { "human", "agent", "person", "mtu", "manager", "call me" }
local ANGRY = { "refund", "scam", "terrible", "worst", "fraud" }

local function mentions(text, words)
  for _, w in ipairs(words) do
    if text:find(w, 1, true) then
      return w
    end
  end
  return nil
end

return {
  on_message = function(ctx, msg)
    local text = (msg.text or ""):lower()
    local word = mentions(text, PERSON)
    if word then
      ctx.escalate("asked for a person (" .. word .. ")", "medium")
      ctx.reply("Sawa! A member of our team will reply here shortly.")
      return
    end
    local angry = mentions(text, ANGRY)
    if angry then
      ctx.escalate("unhappy customer (" .. angry .. ")", "urgent")
    end
  end,

  before_send = function(ctx, reply)
    -- An escalated conversation keeps the bot polite and short.
    if reply.kind == "text" and ctx.conversation.status == "escalated" then
      reply.text = reply.text .. "\n(A person is also looking at this.)"
      return reply
    end
  end,
}
