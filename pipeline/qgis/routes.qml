<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis hasScaleBasedVisibilityFlag="0" simplifyAlgorithm="0" labelsEnabled="0" readOnly="0" maxScale="0" minScale="100000000" styleCategories="AllStyleCategories" simplifyDrawingTol="1" symbologyReferenceScale="-1" version="3.22.16-Białowieża" simplifyLocal="1" simplifyMaxScale="1" simplifyDrawingHints="1">
  <flags>
    <Identifiable>1</Identifiable>
    <Removable>1</Removable>
    <Searchable>1</Searchable>
    <Private>0</Private>
  </flags>
  <temporal startExpression="" fixedDuration="0" endField="" mode="0" endExpression="" durationUnit="min" startField="" durationField="" limitMode="0" accumulate="0" enabled="0">
    <fixedRange>
      <start></start>
      <end></end>
    </fixedRange>
  </temporal>
  <renderer-v2 attr="scenario" type="categorizedSymbol" forceraster="0" symbollevels="0" referencescale="-1" enableorderby="0">
    <categories>
      <category symbol="0" render="true" value="SCENARIO" label="SCENARIO"/>
    </categories>
    <symbols>
      <symbol type="line" force_rhr="0" alpha="1" clip_to_extent="1" name="0">
        <data_defined_properties>
          <Option type="Map">
            <Option type="QString" value="" name="name"/>
            <Option name="properties"/>
            <Option type="QString" value="collection" name="type"/>
          </Option>
        </data_defined_properties>
        <layer class="SimpleLine" locked="0" pass="0" enabled="1">
          <Option type="Map">
            <Option type="QString" value="0" name="align_dash_pattern"/>
            <Option type="QString" value="square" name="capstyle"/>
            <Option type="QString" value="5;2" name="customdash"/>
            <Option type="QString" value="3x:0,0,0,0,0,0" name="customdash_map_unit_scale"/>
            <Option type="QString" value="MM" name="customdash_unit"/>
            <Option type="QString" value="0" name="dash_pattern_offset"/>
            <Option type="QString" value="3x:0,0,0,0,0,0" name="dash_pattern_offset_map_unit_scale"/>
            <Option type="QString" value="MM" name="dash_pattern_offset_unit"/>
            <Option type="QString" value="0" name="draw_inside_polygon"/>
            <Option type="QString" value="bevel" name="joinstyle"/>
            <Option type="QString" value="215,48,31,255" name="line_color"/>
            <Option type="QString" value="solid" name="line_style"/>
            <Option type="QString" value="1.4" name="line_width"/>
            <Option type="QString" value="MM" name="line_width_unit"/>
            <Option type="QString" value="0" name="offset"/>
            <Option type="QString" value="3x:0,0,0,0,0,0" name="offset_map_unit_scale"/>
            <Option type="QString" value="MM" name="offset_unit"/>
            <Option type="QString" value="0" name="ring_filter"/>
            <Option type="QString" value="0" name="trim_distance_end"/>
            <Option type="QString" value="3x:0,0,0,0,0,0" name="trim_distance_end_map_unit_scale"/>
            <Option type="QString" value="MM" name="trim_distance_end_unit"/>
            <Option type="QString" value="0" name="trim_distance_start"/>
            <Option type="QString" value="3x:0,0,0,0,0,0" name="trim_distance_start_map_unit_scale"/>
            <Option type="QString" value="MM" name="trim_distance_start_unit"/>
            <Option type="QString" value="0" name="tweak_dash_pattern_on_corners"/>
            <Option type="QString" value="0" name="use_custom_dash"/>
            <Option type="QString" value="3x:0,0,0,0,0,0" name="width_map_unit_scale"/>
          </Option>
          <prop k="align_dash_pattern" v="0"/>
          <prop k="capstyle" v="square"/>
          <prop k="customdash" v="5;2"/>
          <prop k="customdash_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="customdash_unit" v="MM"/>
          <prop k="dash_pattern_offset" v="0"/>
          <prop k="dash_pattern_offset_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="dash_pattern_offset_unit" v="MM"/>
          <prop k="draw_inside_polygon" v="0"/>
          <prop k="joinstyle" v="bevel"/>
          <prop k="line_color" v="215,48,31,255"/>
          <prop k="line_style" v="solid"/>
          <prop k="line_width" v="1.4"/>
          <prop k="line_width_unit" v="MM"/>
          <prop k="offset" v="0"/>
          <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="offset_unit" v="MM"/>
          <prop k="ring_filter" v="0"/>
          <prop k="trim_distance_end" v="0"/>
          <prop k="trim_distance_end_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="trim_distance_end_unit" v="MM"/>
          <prop k="trim_distance_start" v="0"/>
          <prop k="trim_distance_start_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="trim_distance_start_unit" v="MM"/>
          <prop k="tweak_dash_pattern_on_corners" v="0"/>
          <prop k="use_custom_dash" v="0"/>
          <prop k="width_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <data_defined_properties>
            <Option type="Map">
              <Option type="QString" value="" name="name"/>
              <Option type="Map" name="properties">
                <Option type="Map" name="outlineWidth">
                  <Option type="bool" value="true" name="active"/>
                  <Option type="QString" value="max(0.3, 1.4 - 0.45 * (&quot;alternative&quot; - 1))" name="expression"/>
                  <Option type="int" value="3" name="type"/>
                </Option>
              </Option>
              <Option type="QString" value="collection" name="type"/>
            </Option>
          </data_defined_properties>
        </layer>
      </symbol>
    </symbols>
    <rotation/>
    <sizescale/>
  </renderer-v2>
  <customproperties>
    <Option/>
  </customproperties>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>1</layerOpacity>
  <geometryOptions removeDuplicateNodes="0" geometryPrecision="0">
    <activeChecks type="StringList">
      <Option type="QString" value=""/>
    </activeChecks>
    <checkConfiguration/>
  </geometryOptions>
  <legend type="default-vector" showLabelLegend="0"/>
  <referencedLayers/>
  <fieldConfiguration>
    <field configurationFlags="None" name="fid">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="route_id">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="scenario">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="origin">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="destination">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="destination_slug">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="alternative">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="diverse">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="length_km">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="cost_usd">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="cable_cost_usd">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="hdd_cost_usd">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="border_cost_usd">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="landfall_cost_usd">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="sites_cost_usd">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="cost_usd_per_km">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="buried_row_km">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="buried_flat_km">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="buried_hilly_km">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="buried_mountain_km">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="hdd_km">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="submarine_km">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="latency_ms">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="latency_rt_ms">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="great_circle_km">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="great_circle_latency_ms">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="detour_ratio">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="countries">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="km_by_country">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="n_border_crossings">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="border_crossings">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="n_landfalls">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="n_river_crossings">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="rivers_crossed">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="row_share">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="n_ila_sites">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="n_regen_sites">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="max_elevation_m">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="total_climb_m">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="rank">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="shared_km_max">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="shared_with">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="diversity_note">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="cost_p10_usd">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="cost_p50_usd">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="cost_p90_usd">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="p_cheapest">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="mcda_score">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="mcda_rank">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
  </fieldConfiguration>
  <aliases>
    <alias name="" field="fid" index="0"/>
    <alias name="" field="route_id" index="1"/>
    <alias name="" field="scenario" index="2"/>
    <alias name="" field="origin" index="3"/>
    <alias name="" field="destination" index="4"/>
    <alias name="" field="destination_slug" index="5"/>
    <alias name="" field="alternative" index="6"/>
    <alias name="" field="diverse" index="7"/>
    <alias name="" field="length_km" index="8"/>
    <alias name="" field="cost_usd" index="9"/>
    <alias name="" field="cable_cost_usd" index="10"/>
    <alias name="" field="hdd_cost_usd" index="11"/>
    <alias name="" field="border_cost_usd" index="12"/>
    <alias name="" field="landfall_cost_usd" index="13"/>
    <alias name="" field="sites_cost_usd" index="14"/>
    <alias name="" field="cost_usd_per_km" index="15"/>
    <alias name="" field="buried_row_km" index="16"/>
    <alias name="" field="buried_flat_km" index="17"/>
    <alias name="" field="buried_hilly_km" index="18"/>
    <alias name="" field="buried_mountain_km" index="19"/>
    <alias name="" field="hdd_km" index="20"/>
    <alias name="" field="submarine_km" index="21"/>
    <alias name="" field="latency_ms" index="22"/>
    <alias name="" field="latency_rt_ms" index="23"/>
    <alias name="" field="great_circle_km" index="24"/>
    <alias name="" field="great_circle_latency_ms" index="25"/>
    <alias name="" field="detour_ratio" index="26"/>
    <alias name="" field="countries" index="27"/>
    <alias name="" field="km_by_country" index="28"/>
    <alias name="" field="n_border_crossings" index="29"/>
    <alias name="" field="border_crossings" index="30"/>
    <alias name="" field="n_landfalls" index="31"/>
    <alias name="" field="n_river_crossings" index="32"/>
    <alias name="" field="rivers_crossed" index="33"/>
    <alias name="" field="row_share" index="34"/>
    <alias name="" field="n_ila_sites" index="35"/>
    <alias name="" field="n_regen_sites" index="36"/>
    <alias name="" field="max_elevation_m" index="37"/>
    <alias name="" field="total_climb_m" index="38"/>
    <alias name="" field="rank" index="39"/>
    <alias name="" field="shared_km_max" index="40"/>
    <alias name="" field="shared_with" index="41"/>
    <alias name="" field="diversity_note" index="42"/>
    <alias name="" field="cost_p10_usd" index="43"/>
    <alias name="" field="cost_p50_usd" index="44"/>
    <alias name="" field="cost_p90_usd" index="45"/>
    <alias name="" field="p_cheapest" index="46"/>
    <alias name="" field="mcda_score" index="47"/>
    <alias name="" field="mcda_rank" index="48"/>
  </aliases>
  <defaults>
    <default expression="" field="fid" applyOnUpdate="0"/>
    <default expression="" field="route_id" applyOnUpdate="0"/>
    <default expression="" field="scenario" applyOnUpdate="0"/>
    <default expression="" field="origin" applyOnUpdate="0"/>
    <default expression="" field="destination" applyOnUpdate="0"/>
    <default expression="" field="destination_slug" applyOnUpdate="0"/>
    <default expression="" field="alternative" applyOnUpdate="0"/>
    <default expression="" field="diverse" applyOnUpdate="0"/>
    <default expression="" field="length_km" applyOnUpdate="0"/>
    <default expression="" field="cost_usd" applyOnUpdate="0"/>
    <default expression="" field="cable_cost_usd" applyOnUpdate="0"/>
    <default expression="" field="hdd_cost_usd" applyOnUpdate="0"/>
    <default expression="" field="border_cost_usd" applyOnUpdate="0"/>
    <default expression="" field="landfall_cost_usd" applyOnUpdate="0"/>
    <default expression="" field="sites_cost_usd" applyOnUpdate="0"/>
    <default expression="" field="cost_usd_per_km" applyOnUpdate="0"/>
    <default expression="" field="buried_row_km" applyOnUpdate="0"/>
    <default expression="" field="buried_flat_km" applyOnUpdate="0"/>
    <default expression="" field="buried_hilly_km" applyOnUpdate="0"/>
    <default expression="" field="buried_mountain_km" applyOnUpdate="0"/>
    <default expression="" field="hdd_km" applyOnUpdate="0"/>
    <default expression="" field="submarine_km" applyOnUpdate="0"/>
    <default expression="" field="latency_ms" applyOnUpdate="0"/>
    <default expression="" field="latency_rt_ms" applyOnUpdate="0"/>
    <default expression="" field="great_circle_km" applyOnUpdate="0"/>
    <default expression="" field="great_circle_latency_ms" applyOnUpdate="0"/>
    <default expression="" field="detour_ratio" applyOnUpdate="0"/>
    <default expression="" field="countries" applyOnUpdate="0"/>
    <default expression="" field="km_by_country" applyOnUpdate="0"/>
    <default expression="" field="n_border_crossings" applyOnUpdate="0"/>
    <default expression="" field="border_crossings" applyOnUpdate="0"/>
    <default expression="" field="n_landfalls" applyOnUpdate="0"/>
    <default expression="" field="n_river_crossings" applyOnUpdate="0"/>
    <default expression="" field="rivers_crossed" applyOnUpdate="0"/>
    <default expression="" field="row_share" applyOnUpdate="0"/>
    <default expression="" field="n_ila_sites" applyOnUpdate="0"/>
    <default expression="" field="n_regen_sites" applyOnUpdate="0"/>
    <default expression="" field="max_elevation_m" applyOnUpdate="0"/>
    <default expression="" field="total_climb_m" applyOnUpdate="0"/>
    <default expression="" field="rank" applyOnUpdate="0"/>
    <default expression="" field="shared_km_max" applyOnUpdate="0"/>
    <default expression="" field="shared_with" applyOnUpdate="0"/>
    <default expression="" field="diversity_note" applyOnUpdate="0"/>
    <default expression="" field="cost_p10_usd" applyOnUpdate="0"/>
    <default expression="" field="cost_p50_usd" applyOnUpdate="0"/>
    <default expression="" field="cost_p90_usd" applyOnUpdate="0"/>
    <default expression="" field="p_cheapest" applyOnUpdate="0"/>
    <default expression="" field="mcda_score" applyOnUpdate="0"/>
    <default expression="" field="mcda_rank" applyOnUpdate="0"/>
  </defaults>
  <constraints>
    <constraint constraints="3" notnull_strength="1" exp_strength="0" field="fid" unique_strength="1"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="route_id" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="scenario" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="origin" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="destination" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="destination_slug" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="alternative" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="diverse" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="length_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="cost_usd" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="cable_cost_usd" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="hdd_cost_usd" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="border_cost_usd" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="landfall_cost_usd" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="sites_cost_usd" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="cost_usd_per_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="buried_row_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="buried_flat_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="buried_hilly_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="buried_mountain_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="hdd_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="submarine_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="latency_ms" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="latency_rt_ms" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="great_circle_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="great_circle_latency_ms" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="detour_ratio" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="countries" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="km_by_country" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="n_border_crossings" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="border_crossings" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="n_landfalls" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="n_river_crossings" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="rivers_crossed" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="row_share" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="n_ila_sites" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="n_regen_sites" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="max_elevation_m" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="total_climb_m" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="rank" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="shared_km_max" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="shared_with" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="diversity_note" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="cost_p10_usd" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="cost_p50_usd" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="cost_p90_usd" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="p_cheapest" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="mcda_score" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="mcda_rank" unique_strength="0"/>
  </constraints>
  <constraintExpressions>
    <constraint desc="" exp="" field="fid"/>
    <constraint desc="" exp="" field="route_id"/>
    <constraint desc="" exp="" field="scenario"/>
    <constraint desc="" exp="" field="origin"/>
    <constraint desc="" exp="" field="destination"/>
    <constraint desc="" exp="" field="destination_slug"/>
    <constraint desc="" exp="" field="alternative"/>
    <constraint desc="" exp="" field="diverse"/>
    <constraint desc="" exp="" field="length_km"/>
    <constraint desc="" exp="" field="cost_usd"/>
    <constraint desc="" exp="" field="cable_cost_usd"/>
    <constraint desc="" exp="" field="hdd_cost_usd"/>
    <constraint desc="" exp="" field="border_cost_usd"/>
    <constraint desc="" exp="" field="landfall_cost_usd"/>
    <constraint desc="" exp="" field="sites_cost_usd"/>
    <constraint desc="" exp="" field="cost_usd_per_km"/>
    <constraint desc="" exp="" field="buried_row_km"/>
    <constraint desc="" exp="" field="buried_flat_km"/>
    <constraint desc="" exp="" field="buried_hilly_km"/>
    <constraint desc="" exp="" field="buried_mountain_km"/>
    <constraint desc="" exp="" field="hdd_km"/>
    <constraint desc="" exp="" field="submarine_km"/>
    <constraint desc="" exp="" field="latency_ms"/>
    <constraint desc="" exp="" field="latency_rt_ms"/>
    <constraint desc="" exp="" field="great_circle_km"/>
    <constraint desc="" exp="" field="great_circle_latency_ms"/>
    <constraint desc="" exp="" field="detour_ratio"/>
    <constraint desc="" exp="" field="countries"/>
    <constraint desc="" exp="" field="km_by_country"/>
    <constraint desc="" exp="" field="n_border_crossings"/>
    <constraint desc="" exp="" field="border_crossings"/>
    <constraint desc="" exp="" field="n_landfalls"/>
    <constraint desc="" exp="" field="n_river_crossings"/>
    <constraint desc="" exp="" field="rivers_crossed"/>
    <constraint desc="" exp="" field="row_share"/>
    <constraint desc="" exp="" field="n_ila_sites"/>
    <constraint desc="" exp="" field="n_regen_sites"/>
    <constraint desc="" exp="" field="max_elevation_m"/>
    <constraint desc="" exp="" field="total_climb_m"/>
    <constraint desc="" exp="" field="rank"/>
    <constraint desc="" exp="" field="shared_km_max"/>
    <constraint desc="" exp="" field="shared_with"/>
    <constraint desc="" exp="" field="diversity_note"/>
    <constraint desc="" exp="" field="cost_p10_usd"/>
    <constraint desc="" exp="" field="cost_p50_usd"/>
    <constraint desc="" exp="" field="cost_p90_usd"/>
    <constraint desc="" exp="" field="p_cheapest"/>
    <constraint desc="" exp="" field="mcda_score"/>
    <constraint desc="" exp="" field="mcda_rank"/>
  </constraintExpressions>
  <expressionfields/>
  <attributeactions/>
  <attributetableconfig sortOrder="0" sortExpression="" actionWidgetStyle="dropDown">
    <columns/>
  </attributetableconfig>
  <conditionalstyles>
    <rowstyles/>
    <fieldstyles/>
  </conditionalstyles>
  <storedexpressions/>
  <editform tolerant="1"></editform>
  <editforminit/>
  <editforminitcodesource>0</editforminitcodesource>
  <editforminitfilepath></editforminitfilepath>
  <editforminitcode><![CDATA[]]></editforminitcode>
  <featformsuppress>0</featformsuppress>
  <editorlayout>generatedlayout</editorlayout>
  <editable/>
  <labelOnTop/>
  <reuseLastValue/>
  <dataDefinedFieldProperties/>
  <widgets/>
  <previewExpression></previewExpression>
  <mapTip></mapTip>
  <layerGeometryType>1</layerGeometryType>
</qgis>
