-- Example tenant script (the scripting issue defines and sandboxes these hooks).
return {
  -- Send anyone who asks for a person straight to a human.
  escalate = function(ctx, msg)
    if msg.text and msg.text:lower():find("human") then
      return "agent"
    end
    return nil
  end,
}
