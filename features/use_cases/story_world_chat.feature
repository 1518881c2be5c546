@use_case:story_world_chat @component:storage @component:memory_layer @component:personas
Feature: Story world chat
  Lore is permanent and characters speak through real personas.

  Scenario: A character speaks and the lore outlives years
    Given user "sam" exists
    And "sam" has a chat session "saga"
    And I call "persona.store" with:
      """
      persona: {persona_id: captain_rhea, name: Captain Rhea}
      """
    And "sam" remembers "The Halcyon crosses the storm belt" in the permanent layer with relevance 0.9
    When I call "chat.turn" with:
      """
      user_id: sam
      session_id: ${saga}
      text: Rhea, can we cross tonight?
      persona: captain_rhea
      reply: Only the Halcyon can.
      """
    Then the result at "assistant_message.metadata.persona" equals captain_rhea
    When 3650 days pass
    And the memory maintenance runs for "sam"
    Then "sam" has 1 memory in permanent

  Scenario: A character without a persona cannot speak
    Given user "sam" exists
    And "sam" has a chat session "saga"
    When I try to call "chat.turn" with:
      """
      user_id: sam
      session_id: ${saga}
      text: Who goes there?
      persona: the_stranger
      reply: "..."
      """
    Then it fails with NotFound mentioning "the_stranger"
    And session "saga" of "sam" holds 0 messages on disk
