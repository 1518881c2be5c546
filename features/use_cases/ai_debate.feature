@use_case:ai_debate @component:panel_session @component:personas @component:analytics
Feature: AI debate
  Debaters take turns by the rules, the decision records their positions, and every turn
  leaves an audit record written by the panel manager.

  Background:
    Given I call "persona.store" with:
      """
      persona: {persona_id: proponent, name: Prof. Pro}
      """
    And I call "panel.create" with:
      """
      panel_id: motion
      session_type: ai_debate
      participants:
        - {participant_id: pro, persona_id: proponent, role: advocate}
        - {participant_id: contra, role: critic}
        - {participant_id: swing, role: expert}
      """

  Scenario: Two of three agree and that is a simple majority
    When "pro" says "Nuclear is low-carbon." in "motion"
    And "contra" says "It is slow to build." in "motion"
    And "swing" says "Both points matter." in "motion"
    And the panel "motion" decides "The house supports nuclear" with positions:
      """
      pro: for
      swing: for
      contra: against
      """
    Then the result at "agreement_score" is at least 0.666
    And the result at "is_decision" equals true
    And the consensus of "motion" is "simple_majority" and not reached
    When I call "audit.entries" with:
      """
      event_type: panel_turn
      """
    Then the result at "[*].details.conversation_turn" equals [1, 2, 3]

  Scenario: A third consecutive message is rejected
    When "pro" says "First." in "motion"
    And "pro" says "Second." in "motion"
    Then "pro" may not speak again in "motion"
    And "motion" holds 2 messages on disk
