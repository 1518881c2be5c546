@use_case:multi_ai_panel @component:panel_session @component:memory_layer @component:personas
Feature: Multi-AI panel
  Persona-backed participants reach a consensus that their owner remembers.

  Scenario: A unanimous decision reaches the owner's memory
    Given user "olga" exists
    And I call "persona.store" with:
      """
      persona: {persona_id: strategist, name: Sam Strategist}
      """
    And I call "persona.store" with:
      """
      persona: {persona_id: engineer, name: Eli Engineer}
      """
    And I call "panel.create" with:
      """
      panel_id: roadmap
      session_type: multi_persona
      owner_user_id: olga
      participants:
        - {participant_id: strategist, persona_id: strategist}
        - {participant_id: engineer, persona_id: engineer}
      """
    When "strategist" says "Ship offline mode first." in "roadmap"
    And "engineer" says "It takes two sprints." in "roadmap"
    And the panel "roadmap" decides "Ship offline mode in Q1" with positions:
      """
      strategist: offline
      engineer: offline
      """
    Then the consensus of "roadmap" is "unanimous" and reached
    And "olga" remembers the insight in medium_term memory
    And "roadmap" holds 2 messages on disk

  Scenario: A participant with an unknown persona is refused
    When I try to call "panel.create" with:
      """
      panel_id: ghosts
      session_type: multi_persona
      participants: [{participant_id: a, persona_id: nobody}, {participant_id: b}]
      """
    Then it fails with NotFound mentioning "nobody"
