@component:panel_session
Feature: Panel sessions
  Turn rules, consensus and insights of multi-participant panels, as they land on disk.

  Scenario: A debater may not send a third message in a row
    Given a debate "d1" between "pro" and "contra" moderated by "mod"
    When "pro" says "Solar is cheaper every year." in "d1"
    And "mod" says "Please back that up." in "d1"
    And "pro" says "Auction prices fell again." in "d1"
    Then "pro" may not speak again in "d1"
    And "d1" holds 3 messages on disk
    When "contra" says "Grid costs are left out." in "d1"
    And "pro" says "They are included." in "d1"
    Then "d1" holds 5 messages on disk

  Scenario: Consensus honours the threshold and can be a conflict
    Given user "alice" exists
    And a decision_making panel "p1" of "alice" with "ann", "ben" and "cat"
    When the panel "p1" decides "Adopt rooftop solar" with positions:
      """
      {ann: adopt, ben: adopt, cat: reject}
      """
    Then the consensus of "p1" is "simple_majority" and not reached
    And "alice" remembers the insight in medium_term memory
    When the panel "p1" notes "Costs are disputed" with positions:
      """
      {ann: raise, ben: keep}
      """
    Then the consensus of "p1" is "conflict" and not reached

  Scenario: Two of three reach consensus when the panel's bar is lower
    Given user "alice" exists
    And a decision_making panel "p2" of "alice" with "ann", "ben" and "cat" and a consensus threshold of 0.6
    When the panel "p2" decides "Adopt rooftop solar" with positions:
      """
      {ann: adopt, ben: adopt, cat: reject}
      """
    Then the consensus of "p2" is "simple_majority" and reached
    And "alice" remembers the insight in medium_term memory

  Scenario: A panel resumes after a restart
    Given a debate "d1" between "pro" and "contra" moderated by "mod"
    When "pro" says "Opening." in "d1"
    And "pro" says "Second point." in "d1"
    And the application restarts
    Then "pro" may not speak again in "d1"
    When "contra" says "Rebuttal." in "d1"
    Then "d1" holds 3 messages on disk

  Scenario: A question goes to the confident expert, else to the generalist
    When I call "panel.create" with:
      """
      panel_id: experts
      session_type: expert_consultation
      participants:
        - {participant_id: solar_expert, expertise_areas: [solar panels]}
        - {participant_id: generalist}
      """
    And "experts" delegates "How efficient are solar panels in winter?"
    Then the question goes to "solar_expert"
    When "experts" delegates "What about tidal power?"
    Then the question goes to "generalist"
