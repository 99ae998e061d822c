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
  <renderer-v2 attr="hub" type="categorizedSymbol" forceraster="0" symbollevels="0" referencescale="-1" enableorderby="0">
    <categories>
      <category symbol="0" render="true" value="HUB" label="HUB"/>
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
            <Option type="QString" value="dash" name="line_style"/>
            <Option type="QString" value="0.9" name="line_width"/>
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
          <prop k="line_style" v="dash"/>
          <prop k="line_width" v="0.9"/>
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
              <Option name="properties"/>
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
    <field configurationFlags="None" name="station">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="station_id">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="hub">
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
    <field configurationFlags="None" name="land_km">
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
    <field configurationFlags="None" name="length_km">
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
    <field configurationFlags="None" name="cables">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="cable_rfs_years">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="oldest_rfs_year">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="incumbent_km">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="incumbent_latency_ms">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="incumbent_latency_rt_ms">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="incumbent_cables">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="saved_ms">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="saved_rt_ms">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="chokepoints">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="incumbent_chokepoints">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="avoids">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="alternatives_latency_ms">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
  </fieldConfiguration>
  <aliases>
    <alias name="" field="fid" index="0"/>
    <alias name="" field="scenario" index="1"/>
    <alias name="" field="origin" index="2"/>
    <alias name="" field="station" index="3"/>
    <alias name="" field="station_id" index="4"/>
    <alias name="" field="hub" index="5"/>
    <alias name="" field="route_id" index="6"/>
    <alias name="" field="land_km" index="7"/>
    <alias name="" field="submarine_km" index="8"/>
    <alias name="" field="length_km" index="9"/>
    <alias name="" field="latency_ms" index="10"/>
    <alias name="" field="latency_rt_ms" index="11"/>
    <alias name="" field="great_circle_km" index="12"/>
    <alias name="" field="great_circle_latency_ms" index="13"/>
    <alias name="" field="cables" index="14"/>
    <alias name="" field="cable_rfs_years" index="15"/>
    <alias name="" field="oldest_rfs_year" index="16"/>
    <alias name="" field="incumbent_km" index="17"/>
    <alias name="" field="incumbent_latency_ms" index="18"/>
    <alias name="" field="incumbent_latency_rt_ms" index="19"/>
    <alias name="" field="incumbent_cables" index="20"/>
    <alias name="" field="saved_ms" index="21"/>
    <alias name="" field="saved_rt_ms" index="22"/>
    <alias name="" field="chokepoints" index="23"/>
    <alias name="" field="incumbent_chokepoints" index="24"/>
    <alias name="" field="avoids" index="25"/>
    <alias name="" field="alternatives_latency_ms" index="26"/>
  </aliases>
  <defaults>
    <default expression="" field="fid" applyOnUpdate="0"/>
    <default expression="" field="scenario" applyOnUpdate="0"/>
    <default expression="" field="origin" applyOnUpdate="0"/>
    <default expression="" field="station" applyOnUpdate="0"/>
    <default expression="" field="station_id" applyOnUpdate="0"/>
    <default expression="" field="hub" applyOnUpdate="0"/>
    <default expression="" field="route_id" applyOnUpdate="0"/>
    <default expression="" field="land_km" applyOnUpdate="0"/>
    <default expression="" field="submarine_km" applyOnUpdate="0"/>
    <default expression="" field="length_km" applyOnUpdate="0"/>
    <default expression="" field="latency_ms" applyOnUpdate="0"/>
    <default expression="" field="latency_rt_ms" applyOnUpdate="0"/>
    <default expression="" field="great_circle_km" applyOnUpdate="0"/>
    <default expression="" field="great_circle_latency_ms" applyOnUpdate="0"/>
    <default expression="" field="cables" applyOnUpdate="0"/>
    <default expression="" field="cable_rfs_years" applyOnUpdate="0"/>
    <default expression="" field="oldest_rfs_year" applyOnUpdate="0"/>
    <default expression="" field="incumbent_km" applyOnUpdate="0"/>
    <default expression="" field="incumbent_latency_ms" applyOnUpdate="0"/>
    <default expression="" field="incumbent_latency_rt_ms" applyOnUpdate="0"/>
    <default expression="" field="incumbent_cables" applyOnUpdate="0"/>
    <default expression="" field="saved_ms" applyOnUpdate="0"/>
    <default expression="" field="saved_rt_ms" applyOnUpdate="0"/>
    <default expression="" field="chokepoints" applyOnUpdate="0"/>
    <default expression="" field="incumbent_chokepoints" applyOnUpdate="0"/>
    <default expression="" field="avoids" applyOnUpdate="0"/>
    <default expression="" field="alternatives_latency_ms" applyOnUpdate="0"/>
  </defaults>
  <constraints>
    <constraint constraints="3" notnull_strength="1" exp_strength="0" field="fid" unique_strength="1"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="scenario" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="origin" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="station" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="station_id" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="hub" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="route_id" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="land_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="submarine_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="length_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="latency_ms" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="latency_rt_ms" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="great_circle_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="great_circle_latency_ms" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="cables" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="cable_rfs_years" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="oldest_rfs_year" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="incumbent_km" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="incumbent_latency_ms" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="incumbent_latency_rt_ms" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="incumbent_cables" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="saved_ms" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="saved_rt_ms" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="chokepoints" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="incumbent_chokepoints" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="avoids" unique_strength="0"/>
    <constraint constraints="0" notnull_strength="0" exp_strength="0" field="alternatives_latency_ms" unique_strength="0"/>
  </constraints>
  <constraintExpressions>
    <constraint desc="" exp="" field="fid"/>
    <constraint desc="" exp="" field="scenario"/>
    <constraint desc="" exp="" field="origin"/>
    <constraint desc="" exp="" field="station"/>
    <constraint desc="" exp="" field="station_id"/>
    <constraint desc="" exp="" field="hub"/>
    <constraint desc="" exp="" field="route_id"/>
    <constraint desc="" exp="" field="land_km"/>
    <constraint desc="" exp="" field="submarine_km"/>
    <constraint desc="" exp="" field="length_km"/>
    <constraint desc="" exp="" field="latency_ms"/>
    <constraint desc="" exp="" field="latency_rt_ms"/>
    <constraint desc="" exp="" field="great_circle_km"/>
    <constraint desc="" exp="" field="great_circle_latency_ms"/>
    <constraint desc="" exp="" field="cables"/>
    <constraint desc="" exp="" field="cable_rfs_years"/>
    <constraint desc="" exp="" field="oldest_rfs_year"/>
    <constraint desc="" exp="" field="incumbent_km"/>
    <constraint desc="" exp="" field="incumbent_latency_ms"/>
    <constraint desc="" exp="" field="incumbent_latency_rt_ms"/>
    <constraint desc="" exp="" field="incumbent_cables"/>
    <constraint desc="" exp="" field="saved_ms"/>
    <constraint desc="" exp="" field="saved_rt_ms"/>
    <constraint desc="" exp="" field="chokepoints"/>
    <constraint desc="" exp="" field="incumbent_chokepoints"/>
    <constraint desc="" exp="" field="avoids"/>
    <constraint desc="" exp="" field="alternatives_latency_ms"/>
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
