@component:panel_session
Feature: Panel routing and confidence refusals name the field and value at fault
  A reply to a delegation by the wrong participant is about participant_id, a reply naming a
  routing that does not exist is about routing_id, and a confidence for a stranger or out of
  range is about confidences - each with the value that was refused.

  Background:
    Given I call "panel.create" with:
      """
      panel_id: p1
      session_type: expert_consultation
      participants: [{participant_id: ann}, {participant_id: ben}, {participant_id: generalist}]
      session_config: {auto_capture_insights: false}
      """

  Scenario: A reply to a delegation by someone else is refused naming participant_id
    Given I call "panel.route" with:
      """
      panel_id: p1
      content: Who knows roofs?
      confidences: {ann: 0.9, ben: 0.1}
      """
    And I save "routing_id" as "rid"
    When I try to call "panel.say" with:
      """
      panel_id: p1
      participant_id: ben
      content: I will answer.
      metadata: {routing_id: "${rid}"}
      """
    Then it fails with ValidationError mentioning "delegated to 'ann', not 'ben'"
    And the result at "key" equals participant_id
    And the result at "value" equals ben

  Scenario: A reply naming an unknown routing is refused naming routing_id
    When I try to call "panel.say" with:
      """
      panel_id: p1
      participant_id: ann
      content: I will answer.
      metadata: {routing_id: rt_missing}
      """
    Then it fails with NotFound mentioning "routing_id 'rt_missing' not found in panel 'p1'"
    And the result at "key" equals routing_id
    And the result at "value" equals rt_missing

  Scenario: A confidence for someone outside the panel is refused naming confidences
    When I try to call "panel.route" with:
      """
      panel_id: p1
      content: Who knows roofs?
      confidences: {zed: 0.9}
      """
    Then it fails with ValidationError mentioning "confidence given for 'zed', who is not a member of panel 'p1'"
    And the result at "key" equals confidences
    And the result at "value" equals zed

  Scenario: A confidence above one is refused naming confidences
    When I try to call "panel.route" with:
      """
      panel_id: p1
      content: Who knows roofs?
      confidences: {ann: 1.5}
      """
    Then it fails with ValidationError mentioning "confidence of 'ann' must be a number in [0, 1]"
    And the result at "key" equals confidences
    And the result at "value" equals 1.5
